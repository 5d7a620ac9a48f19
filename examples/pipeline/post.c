/* The last stage of examples/pipeline: a score, clamped, as an integer. */
__attribute__((export_name("post"))) int post(float y) {
    float r = y * 100.0f;
    if (r > 1000.0f) r = 1000.0f;
    if (r < -1000.0f) r = -1000.0f;
    return (int)r;
}
