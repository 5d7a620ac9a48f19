"""The results files the benchmark scripts write (Benchmarks/results/*.md): one header for all,
naming the script and the machine, and the writing itself."""
import os


def header(title, script, setting=""):
    """The first lines: the title, the script that wrote the file (whose docstring says what
    each figure is), and the machine, with `setting` (build, versions, options) after it."""
    machine = f"Machine: {os.cpu_count()} cores, Linux {os.uname().release}" + (f"; {setting}" if setting else "")
    return [f"# {title}", "", f"Written by `{script}` (`scripts/bench`); what each figure is: its docstring.",
            machine + ".", ""]


def write(path, lines):
    """Writes the file and prints it."""
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
