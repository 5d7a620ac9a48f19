/* not_wasmc.c: a shared object without a `wasmc_module` symbol, which the loader must refuse. */
int not_a_wasmc_module(int x) { return x + 1; }
