// raii.cpp: destructors during unwinding, in order, and what handlers bind to.
// Every object logs its construction and destruction; each case prints the log it produced.
//   - locals of several frames destroyed innermost first while an exception passes
//   - a constructor that throws: the members and bases already built are destroyed, the
//     object itself is not; an array whose fifth element throws destroys the first four
//   - a vector that grows while an element's copy throws (the container stays intact)
//   - catch by value (a copy, made before the handler, destroyed after it), by reference, by
//     pointer to a base, to the second base of a class with two (an adjusted address), int and
//     const char*; a function-try-block that translates the exception
//   - a destructor that throws and catches inside itself while another exception unwinds
// Exit status 0; the last line counts objects alive (0) and exceptions not yet freed (0).
#include <cstdio>
#include <cstring>
#include <vector>

extern "C" int wasmc_eh_live();

static int alive = 0;
static char log_buffer[2048];

static void note(const char* what, int id) {
    char item[32];
    snprintf(item, sizeof item, "%s%d ", what, id);
    strncat(log_buffer, item, sizeof log_buffer - strlen(log_buffer) - 1);
}

static void flush(const char* title) {
    printf("%-37s %s\n", title, log_buffer);
    log_buffer[0] = '\0';
}

struct Noisy {
    int id;
    explicit Noisy(int id) : id(id) { ++alive; note("+", id); }
    Noisy(const Noisy& other) : id(other.id + 100) { ++alive; note("c", id); }
    ~Noisy() { --alive; note("-", id); }
};

struct Failure {
    int code;
};

// ---- unwinding through frames ---------------------------------------------------------------

[[gnu::noinline]] static void level3(int n) {
    Noisy c(30);
    if (n > 0) throw Failure{n};
    Noisy never(31);
}

[[gnu::noinline]] static void level2(int n) {
    Noisy b(20);
    {
        Noisy inner(21);
    }
    level3(n);
}

[[gnu::noinline]] static void level1(int n) {
    Noisy a(10);
    level2(n);
}

static void frames() {
    try {
        level1(7);
    } catch (const Failure& f) {
        note("caught", f.code);
    }
    flush("frames:");
}

// ---- constructors that throw ----------------------------------------------------------------

struct Part {
    Noisy n;
    explicit Part(int id, bool fail) : n(id) {
        if (fail) throw Failure{id};
    }
};

struct Base {
    Noisy b{40};
};

struct Whole : Base {
    Noisy first{41};
    Part second;
    Noisy third{43};
    Whole() : second(42, true) {}
    ~Whole() { note("never", 0); }
};

struct Element {
    static int built;
    Noisy n;
    Element() : n(50 + built) {
        if (++built == 5) throw Failure{50};
    }
};
int Element::built = 0;

static void constructors() {
    try {
        Whole w;
        note("never", 1);
    } catch (Failure& f) {
        note("caught", f.code);
    }
    flush("partly built object:");
    try {
        Element* array = new Element[8];
        note("never", 2);
        delete[] array;
    } catch (Failure& f) {
        note("caught", f.code);
    }
    flush("array, fifth element throws:");
}

// ---- a container whose element copy throws -------------------------------------------------

struct Picky {
    int value;
    explicit Picky(int v) : value(v) {}
    Picky(const Picky& other) : value(other.value) {
        if (value == 3) throw Failure{value};
    }
    Picky& operator=(const Picky&) = default;
};

static void container() {
    std::vector<Picky> v;
    v.reserve(4);
    for (int i = 0; i < 4; ++i) v.emplace_back(i);
    try {
        v.push_back(Picky(9));  // grows: copies 0..3, the copy of 3 throws (strong guarantee)
        note("never", 3);
    } catch (const Failure& f) {
        note("caught", f.code);
    }
    int sum = 0;
    for (const Picky& p : v) sum += p.value;
    note("size", int(v.size()));
    note("sum", sum);
    flush("vector growth, copy throws:");
}

// ---- what a handler binds to -----------------------------------------------------------------

struct Shape {
    virtual ~Shape() = default;
    virtual int sides() const = 0;
};
struct Labelled {
    char label[12] = "labelled";
    virtual ~Labelled() = default;
};
struct Square : Shape, Labelled {
    int sides() const override { return 4; }
};

static Square the_square;

static void bindings() {
    try {
        throw Noisy(60);
    } catch (Noisy n) {  // a copy made for the handler
        note("got", n.id);
    }
    flush("catch by value:");

    try {
        throw Noisy(61);
    } catch (Noisy& n) {
        n.id = 62;  // the exception object itself
        note("got", n.id);
    }
    flush("catch by reference:");

    try {
        throw Square();
    } catch (const Labelled& l) {  // the second base: a different address
        note(l.label[0] == 'l' ? "label-ok" : "label-bad", int(strlen(l.label)));
    }
    try {
        throw &the_square;
    } catch (Shape* s) {
        note("sides", s->sides());
        note(static_cast<Square*>(s) == &the_square ? "same-object" : "other-object", 1);
    }
    try {
        throw &the_square;
    } catch (Labelled* l) {
        note(static_cast<Square*>(l) == &the_square ? "same-object" : "other-object", 2);
    }
    flush("bases and pointers:");

    try {
        throw 42;
    } catch (long) {
        note("never", 4);
    } catch (unsigned) {
        note("never", 5);
    } catch (int i) {
        note("int", i);
    }
    try {
        throw "text";
    } catch (const char* s) {
        note(s, int(strlen(s)));
    }
    try {
        throw 2.5;
    } catch (int) {
        note("never", 6);
    } catch (...) {
        note("ellipsis", 0);
    }
    flush("fundamental types:");
}

// ---- a function-try-block, and a destructor that handles its own exception ----------------

struct Translated {
    int from;
};

[[gnu::noinline]] static int translate(int n) try {
    Noisy guard(70);
    if (n) throw Failure{n};
    return 0;
} catch (const Failure& f) {
    note("translating", f.code);
    throw Translated{f.code};
}

struct Careful {
    ~Careful() {
        try {
            Noisy tmp(80);
            throw Failure{81};
        } catch (const Failure& f) {
            note("inner", f.code);
        }
    }
};

static void nested() {
    try {
        translate(71);
    } catch (const Translated& t) {
        note("translated", t.from);
    }
    flush("function-try-block:");
    try {
        Careful careful;
        Noisy outer(82);
        throw Failure{83};
    } catch (const Failure& f) {
        note("outer", f.code);
    }
    flush("destructor catches inside unwinding:");
}

int main() {
    frames();
    constructors();
    container();
    bindings();
    nested();
    printf("objects alive: %d, live exceptions: %d\n", alive, wasmc_eh_live());
    return 0;
}
