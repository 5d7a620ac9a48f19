/* random_get: buffers are filled, and two draws differ. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    unsigned char a[256], b[256], zero[256] = {0};
    if (getentropy(a, sizeof a) != 0 || getentropy(b, sizeof b) != 0) {
        perror("getentropy");
        return 1;
    }
    printf("filled: %s\n", memcmp(a, zero, sizeof a) ? "yes" : "no");
    printf("differ: %s\n", memcmp(a, b, sizeof a) ? "yes" : "no");
    /* Bytes spread over the whole range: with 4096 draws, each bit is set in some byte. */
    unsigned char big[4096], any = 0;
    if (getentropy(big, 256) != 0) return 1;
    for (int i = 0; i < 16; i++) getentropy(big + 256 * i, 256);
    for (size_t i = 0; i < sizeof big; i++) any |= big[i];
    printf("all bits seen: %s\n", any == 0xff ? "yes" : "no");
    return 0;
}
