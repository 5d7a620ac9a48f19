/* Exit codes: `exit_code N` exits with N through exit(); `exit_code return N` returns N from
 * main; `exit_code trap` reaches `unreachable`; `exit_code nested N` exits from deep recursion
 * (proc_exit unwinds the whole wasm stack). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int depth(int n, int code) {
    if (n == 0) exit(code);
    return depth(n - 1, code) + 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return 0;
    printf("before exit\n"); /* flushed by exit() */
    if (strcmp(argv[1], "return") == 0) return atoi(argv[2]);
    if (strcmp(argv[1], "trap") == 0) __builtin_trap();
    if (strcmp(argv[1], "nested") == 0) return depth(1000, atoi(argv[2]));
    exit(atoi(argv[1]));
}
