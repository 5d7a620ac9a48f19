// rethrow.cpp: `throw;` in its forms, several exceptions alive at once, and many throws.
//   - a rethrow through three handlers, each adding to the same object (caught by reference)
//   - catch (...) that rethrows, caught later as the original type
//   - a rethrow caught by a handler for a base class, then by a handler of the derived one
//   - a new exception thrown while one is handled (both alive), the first still rethrowable
//     after the second is gone
//   - a rethrow from a function called by the handler, not written inside it
//   - a throw from deep recursion (1000 frames, each with a destructor) caught at the top
//   - 10000 throws in a loop, half of them rethrown once (nothing may leak)
// Exit status 0.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

extern "C" int wasmc_eh_live();

struct Trail {
    char text[128] = "";
    void add(const char* step) {
        strncat(text, step, sizeof text - strlen(text) - 1);
        strncat(text, ">", sizeof text - strlen(text) - 1);
    }
};

struct Problem : std::exception {
    Trail trail;
    int code;
    explicit Problem(int code) : code(code) {}
    const char* what() const noexcept override { return "Problem"; }
};
struct WorseProblem : Problem {
    using Problem::Problem;
    const char* what() const noexcept override { return "WorseProblem"; }
};

[[gnu::noinline]] static void origin(int code) {
    if (code > 1) throw WorseProblem(code);
    throw Problem(code);
}

[[gnu::noinline]] static void relay(const char* step, int code) {
    try {
        origin(code);
    } catch (Problem& p) {
        p.trail.add(step);
        throw;
    }
}

[[gnu::noinline]] static void relay2(int code) {
    try {
        relay("relay", code);
    } catch (Problem& p) {
        p.trail.add("relay2");
        throw;
    }
}

static void chain() {
    try {
        relay2(1);
    } catch (Problem& p) {
        p.trail.add("top");
        printf("chain: %s %d %s\n", p.what(), p.code, p.trail.text);
    }
}

static void ellipsis() {
    try {
        try {
            origin(2);
        } catch (...) {
            printf("ellipsis: caught something, rethrowing\n");
            throw;
        }
    } catch (const WorseProblem& w) {
        printf("ellipsis: then as %s %d\n", w.what(), w.code);
    }
}

static void base_then_derived() {
    try {
        try {
            origin(3);
        } catch (const std::exception& e) {
            printf("base: %s via std::exception\n", e.what());
            throw;
        }
    } catch (const WorseProblem& w) {
        printf("base: %s via WorseProblem (code %d)\n", w.what(), w.code);
    } catch (const Problem&) {
        printf("base: never\n");
    }
}

[[gnu::noinline]] static void rethrow_current() { throw; }

static void two_alive() {
    try {
        try {
            origin(1);
        } catch (Problem& first) {
            first.trail.add("first");
            try {
                throw std::string("second exception");
            } catch (const std::string& second) {
                printf("two alive: handling '%s' inside the handler of code %d, live %d\n",
                       second.c_str(), first.code, wasmc_eh_live());
            }
            first.trail.add("after-second");
            rethrow_current();  // `throw;` from a callee: rethrows `first`
        }
    } catch (const Problem& again) {
        printf("two alive: rethrown from a callee: %s %d %s\n", again.what(), again.code, again.trail.text);
    }
}

struct Depth {
    static int destroyed;
    ~Depth() { ++destroyed; }
};
int Depth::destroyed = 0;

[[gnu::noinline]] static int recurse(int n) {
    Depth d;
    if (n == 0) throw Problem(-1);
    return recurse(n - 1) + 1;
}

static void deep() {
    try {
        recurse(1000);
        printf("deep: never\n");
    } catch (const Problem& p) {
        printf("deep: caught %d after %d destructors\n", p.code, Depth::destroyed);
    }
}

[[gnu::noinline]] static int maybe_throw(int i) {
    if (i % 3 == 0) throw i;
    return i;
}

[[gnu::noinline]] static int loop_body(int i) {
    try {
        return maybe_throw(i);
    } catch (int v) {
        if (v % 2 == 0) throw;
        return -v;
    }
}

static void many() {
    long long sum = 0;
    int caught = 0;
    for (int i = 0; i < 30000; ++i) {
        try {
            sum += loop_body(i);
        } catch (int v) {
            ++caught;
            sum += 2 * v;
        }
    }
    printf("many: sum %lld, rethrown and caught %d, live %d\n", sum, caught, wasmc_eh_live());
}

int main() {
    chain();
    ellipsis();
    base_then_derived();
    two_alive();
    deep();
    many();
    printf("live exceptions: %d\n", wasmc_eh_live());
    return 0;
}
