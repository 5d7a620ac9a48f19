/* The first stage of examples/pipeline: a byte (a pixel) to a float around 0. */
__attribute__((export_name("decode"))) float decode(int byte) { return (float)(byte - 128) * (1.0f / 64); }
