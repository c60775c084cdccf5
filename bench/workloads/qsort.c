/*
 * qsort.c — quicksort of 10 million int32 (the sorting workload).
 *
 * A plain in-place quicksort (median-of-three pivot, insertion sort for short
 * ranges) written here rather than libc's qsort, so both builds run the same
 * algorithm and the interpreter pays for compares and swaps, not for indirect
 * calls into a different libc. Input from a fixed xorshift generator; the result
 * is verified sorted and a checksum printed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void insertion_sort(int32_t *a, long lo, long hi)
{
    for (long i = lo + 1; i <= hi; i++) {
        int32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(int32_t *a, long i, long j)
{
    int32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(int32_t *a, long lo, long hi)
{
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo])
            swap(a, mid, lo);
        if (a[hi] < a[lo])
            swap(a, hi, lo);
        if (a[hi] < a[mid])
            swap(a, hi, mid);
        int32_t pivot = a[mid];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                swap(a, i, j);
                i++;
                j--;
            }
        }
        /* Recurse into the smaller half, loop on the larger: depth stays O(log n). */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion_sort(a, lo, hi);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000;
    int32_t *a = malloc(sizeof(int32_t) * (size_t)n);
    if (!a) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint32_t x = 2463534242u;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        a[i] = (int32_t)x;
    }
    quicksort(a, 0, n - 1);
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) {
            printf("NOT SORTED at %ld\n", i);
            return 1;
        }
        sum = sum * 31 + (uint32_t)a[i];
    }
    printf("sorted %ld int32: min %d max %d checksum %016llx\n", n, a[0], a[n - 1],
           (unsigned long long)sum);
    free(a);
    return 0;
}
