/*
 * hello.c — the smallest real program: the start-up benchmark's workload.
 *
 * Its whole-process time is almost entirely the engine's start-up and shutdown
 * (load, validate, instantiate, WASI set-up, one fd_write, exit).
 */
#include <stdio.h>

int main(void)
{
    printf("Hello WebAssembly in Docker!\n");
    return 0;
}
