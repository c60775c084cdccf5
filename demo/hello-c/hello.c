/* The greeting in C, built with clang --target=wasm32-wasi against wasi-libc. */
#include <stdio.h>

int main(void)
{
    puts("Hello WebAssembly in Docker!");
    return 0;
}
