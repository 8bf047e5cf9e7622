#pragma once
// FUZZ_CHECK(condition, what): the invariant a fuzz target asserts beyond "no crash, no sanitizer
// report". A violation prints `what` and aborts, so libFuzzer saves the input as a crash.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                   \
    do {                                                                              \
        if (!(condition)) {                                                           \
            std::fprintf(stderr, "invariant violated at %s:%d: %s\n", __FILE__, __LINE__, what); \
            std::abort();                                                             \
        }                                                                             \
    } while (0)
