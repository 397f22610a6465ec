#!/usr/bin/python3
"""netring(1) documents every command and every flag that `netring COMMAND
--help` lists, and the bash completion offers them.

Environment: NETRING_TOOL (the built program), NETRING_MANPAGE (docs/netring.1),
NETRING_COMPLETION (tools/netring.bash-completion)."""

import os
import re
import subprocess
import sys

TOOL = os.environ.get("NETRING_TOOL", "_build/tools/netring")
MANPAGE = os.environ.get("NETRING_MANPAGE", "docs/netring.1")
COMPLETION = os.environ.get("NETRING_COMPLETION", "tools/netring.bash-completion")
COMMANDS = ("capture", "inject", "bridge", "info", "stats", "testnet", "demo")


def flags_of(command):
    out = subprocess.run([TOOL, command, "--help"], capture_output=True, text=True,
                         env=dict(os.environ, LC_ALL="C"), check=True).stdout
    section = out.split("Application Options:")[-1] if "Application Options:" in out else ""
    flags = set()
    for line in section.splitlines():
        m = re.match(r"^\s+(?:(-\w), )?(--[\w-]+)", line)
        if m:
            flags.update(f for f in m.groups() if f)
    return flags


def man_sections():
    """the text of each NETRING COMMAND section, with roff's \\- as -"""
    text = open(MANPAGE, encoding="utf-8").read().replace("\\-", "-")
    sections = {}
    for part in re.split(r'^\.SH ', text, flags=re.M):
        m = re.match(r'"NETRING (\w+)"', part)
        if m:
            sections[m.group(1).lower()] = part
    return text, sections


def main():
    text, sections = man_sections()
    completion = open(COMPLETION, encoding="utf-8").read()
    results = []
    for command in COMMANDS:
        section = sections.get(command, "")
        missing = [f for f in sorted(flags_of(command))
                   if not re.search(r"\\fB%s\\fR" % re.escape(f), section)]
        results.append(("netring(1) documents every flag of “%s”" % command,
                        section != "" and not missing, missing))
        body = re.search(r"^\s+%s\)\n(.*?);;" % command, completion, re.M | re.S)
        offered = re.findall(r"--?[\w-]+", body.group(1)) if body else []
        absent = [f for f in sorted(flags_of(command)) if f not in offered]
        results.append(("the bash completion offers every flag of “%s”" % command,
                        body is not None and not absent, absent))
    print("1..%d" % len(results))
    failed = 0
    for n, (name, ok, missing) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
        if not ok:
            failed += 1
            print("# missing: %s" % ", ".join(missing))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
