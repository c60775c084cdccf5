/* swapper.c — the host side of the race test: for `seconds`, atomically exchange
 * DIR/swap (a real directory) with DIR/swaplink (a symlink to the secret's
 * directory outside the sandbox), and DIR/swapf (a file) with DIR/swapflink (a
 * symlink to the secret), as fast as it can. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return fprintf(stderr, "usage: swapper DIR SECONDS\n"), 2;
    int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
    if (dir < 0)
        return perror(argv[1]), 1;
    time_t end = time(NULL) + atoi(argv[2]);
    long swaps = 0;
    while (time(NULL) < end) {
        for (int i = 0; i < 1000; i++) {
            if (renameat2(dir, "swap", dir, "swaplink", RENAME_EXCHANGE) < 0 ||
                renameat2(dir, "swapf", dir, "swapflink", RENAME_EXCHANGE) < 0)
                return perror("renameat2"), 1;
            swaps++;
        }
    }
    printf("swapper: %ld swaps\n", swaps);
    return 0;
}
