// parser.cpp: an expression calculator that reports every error by throwing.
// Statements are `let NAME = EXPR` or `EXPR`; EXPR has + - * / % unary minus, parentheses,
// integers, variables and calls of a few functions (min, max, fact, check). Errors are a class
// hierarchy (ParseError, EvalError and its DivideByZero, Overflow) plus std::out_of_range from
// std::map::at for unknown variables, all caught at the statement loop by different handlers.
// Arguments, when given, are the statements; otherwise a built-in script runs.
// Exit status: the number of statements that failed.
#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" int wasmc_eh_live();

struct CalcError : std::runtime_error {
    int position;
    CalcError(const std::string& what, int position) : std::runtime_error(what), position(position) {}
    virtual const char* kind() const { return "error"; }
};
struct ParseError : CalcError {
    using CalcError::CalcError;
    const char* kind() const override { return "parse error"; }
};
struct EvalError : CalcError {
    using CalcError::CalcError;
    const char* kind() const override { return "evaluation error"; }
};
struct DivideByZero : EvalError {
    explicit DivideByZero(int position) : EvalError("division by zero", position) {}
    const char* kind() const override { return "division by zero"; }
};
struct Overflow : EvalError {
    explicit Overflow(int position) : EvalError("integer overflow", position) {}
};

// Thrown by `check(x)` when x is 0: not a CalcError, caught by its own handler.
struct CheckFailed {
    int64_t value;
};

class Parser {
  public:
    Parser(const std::string& text, std::map<std::string, int64_t>& vars) : text_(text), vars_(vars) {}

    int64_t statement() {
        skip();
        size_t save = pos_;
        if (word() == "let") {
            skip();
            std::string name = word();
            if (name.empty()) throw ParseError("expected a name after let", int(pos_));
            expect('=');
            int64_t value = expression();
            end();
            vars_[name] = value;
            return value;
        }
        pos_ = save;
        int64_t value = expression();
        end();
        return value;
    }

  private:
    const std::string& text_;
    std::map<std::string, int64_t>& vars_;
    size_t pos_ = 0;
    int depth_ = 0;

    void skip() {
        while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    }
    char peek() {
        skip();
        return pos_ < text_.size() ? text_[pos_] : '\0';
    }
    void expect(char c) {
        if (peek() != c) {
            std::string message = "expected '";
            message += c;
            message += "'";
            throw ParseError(message, int(pos_));
        }
        ++pos_;
    }
    void end() {
        if (peek() != '\0') throw ParseError("unexpected '" + std::string(1, text_[pos_]) + "'", int(pos_));
    }
    std::string word() {
        size_t start = pos_;
        while (pos_ < text_.size() && (isalpha(text_[pos_]) || text_[pos_] == '_')) ++pos_;
        return text_.substr(start, pos_ - start);
    }

    static bool isalpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

    int64_t checked(int64_t a, int64_t b, char op, int at) {
        int64_t r;
        bool bad = false;
        switch (op) {
        case '+': bad = __builtin_add_overflow(a, b, &r); break;
        case '-': bad = __builtin_sub_overflow(a, b, &r); break;
        case '*': bad = __builtin_mul_overflow(a, b, &r); break;
        default:
            if (b == 0) throw DivideByZero(at);
            if (a == INT64_MIN && b == -1) throw Overflow(at);
            r = op == '/' ? a / b : a % b;
        }
        if (bad) throw Overflow(at);
        return r;
    }

    int64_t expression() {
        if (++depth_ > 50) throw ParseError("nested too deeply", int(pos_));
        int64_t value = term();
        for (;;) {
            char c = peek();
            if (c != '+' && c != '-') break;
            int at = int(pos_++);
            value = checked(value, term(), c, at);
        }
        --depth_;
        return value;
    }
    int64_t term() {
        int64_t value = unary();
        for (;;) {
            char c = peek();
            if (c != '*' && c != '/' && c != '%') break;
            int at = int(pos_++);
            value = checked(value, unary(), c, at);
        }
        return value;
    }
    int64_t unary() {
        if (peek() == '-') {
            int at = int(pos_++);
            return checked(0, unary(), '-', at);
        }
        return primary();
    }
    int64_t primary() {
        char c = peek();
        int at = int(pos_);
        if (c == '(') {
            ++pos_;
            int64_t value = expression();
            expect(')');
            return value;
        }
        if (c >= '0' && c <= '9') {
            int64_t value = 0;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
                value = checked(checked(value, 10, '*', at), text_[pos_++] - '0', '+', at);
            return value;
        }
        std::string name = word();
        if (name.empty()) {
            if (c == '\0') throw ParseError("unexpected end of input", at);
            throw ParseError("unexpected '" + std::string(1, c) + "'", at);
        }
        if (peek() == '(') return call(name, at);
        return vars_.at(name);  // std::out_of_range for an unknown name
    }
    int64_t call(const std::string& name, int at) {
        std::vector<int64_t> args;
        expect('(');
        if (peek() != ')') {
            args.push_back(expression());
            while (peek() == ',') {
                ++pos_;
                args.push_back(expression());
            }
        }
        expect(')');
        if (name == "min" || name == "max") {
            if (args.empty()) throw EvalError(name + " needs arguments", at);
            int64_t r = args[0];
            for (int64_t a : args) r = name == "min" ? (a < r ? a : r) : (a > r ? a : r);
            return r;
        }
        if (name == "fact") {
            if (args.size() != 1) throw EvalError("fact takes one argument", at);
            if (args[0] < 0) throw EvalError("fact of a negative number", at);
            int64_t r = 1;
            for (int64_t i = 2; i <= args[0]; ++i) r = checked(r, i, '*', at);
            return r;
        }
        if (name == "check") {
            if (args.size() != 1) throw EvalError("check takes one argument", at);
            if (args[0] == 0) throw CheckFailed{args[0]};
            return args[0];
        }
        throw EvalError("unknown function " + name, at);
    }
};

static const char* const script[] = {
    "1 + 2 * 3",
    "let x = 7",
    "let y = x * (x - 1) / 2",
    "y % 5 - -x",
    "(1 + 2",
    "4 / (x - 7)",
    "9223372036854775807 + 1",
    "-9223372036854775807 - 1",
    "(-9223372036854775807 - 1) / -1",
    "zed + 1",
    "max(3, y, x * 4) + min(8, 2)",
    "fact(20)",
    "fact(21)",
    "fact(-1)",
    "nosuch(1)",
    "check(x - 7) + 1",
    "check(3) + 1",
    "1 $ 2",
    "let = 3",
    "((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))",
    "let z = max(x, y) * 1000",
    "z / 3",
    "",
};

int main(int argc, char** argv) {
    std::vector<std::string> statements;
    if (argc > 1)
        for (int i = 1; i < argc; ++i) statements.push_back(argv[i]);
    else
        for (const char* s : script) statements.push_back(s);

    std::map<std::string, int64_t> vars;
    int failures = 0;
    for (const std::string& s : statements) {
        try {
            Parser parser(s, vars);
            long long value = parser.statement();
            printf("%-28s = %lld\n", s.c_str(), value);
        } catch (const DivideByZero& e) {
            ++failures;
            printf("%-28s ! %s at %d\n", s.c_str(), e.kind(), e.position);
        } catch (const CalcError& e) {
            ++failures;
            printf("%-28s ! %s at %d: %s\n", s.c_str(), e.kind(), e.position, e.what());
        } catch (const std::out_of_range&) {
            ++failures;
            printf("%-28s ! unknown variable\n", s.c_str());
        } catch (CheckFailed& e) {
            ++failures;
            printf("%-28s ! check failed (value %lld)\n", s.c_str(), (long long)e.value);
        }
    }
    printf("%d of %zu statements failed; live exceptions: %d\n", failures, statements.size(), wasmc_eh_live());
    return failures;
}
