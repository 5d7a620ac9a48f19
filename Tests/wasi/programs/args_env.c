/* Arguments and environment: argv after the program name, chosen variables, the count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=[%s]\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; *e; e++) n++;
    printf("environ count=%d\n", n);
    const char *names[] = {"GREETING", "EMPTY", "WITH_EQUALS", "UNICODE", "MISSING"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        printf("%s=%s%s%s\n", names[i], v ? "[" : "", v ? v : "(unset)", v ? "]" : "");
    }
    return 0;
}
