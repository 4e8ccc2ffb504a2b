#!/usr/bin/env python3
"""Initial fuzz_session inputs from recorded server messages.

    make_session_seeds.py SEED_TOOL OUTDIR

SEED_TOOL is build-fuzz/tests/fuzz/fuzz_mkseed.  Sources:
  - tests/session/cases/*.case: the `--- server` blocks of each case (the
    first three), with the case's account and UI, once as XML and once as
    WBXML;
  - tests/data/transcripts/funambol-scts-xml/*.log: the Funambol server's
    replies (first three of each session), XML and WBXML;
  - SyncML DM messages among tests/data/vectors/*.wbxml and
    tests/data/transcripts/*.wbxml (WBXML, and as XML).
Every message gets SessionID 1.  The fuzzer then grows and minimises the
set (libFuzzer -merge=1) into tests/fuzz/corpus/session.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
ACCOUNTS = {"srv-none": 0, "srv-basic": 1, "srv-md5": 2, "srv-hmac": 3}


def case_messages(path):
    server, ui, blocks, cur = "srv-none", False, [], None
    for line in open(path, encoding="utf-8"):
        if line.startswith("--- "):
            cur = [] if line.strip() == "--- server" else None
            if cur is not None:
                blocks.append(cur)
            continue
        if cur is not None:
            cur.append(line)
        elif not blocks and ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            if k.strip() == "server":
                server = v.strip()
            elif k.strip() == "ui" and v.strip() != "none":
                ui = True
    return ACCOUNTS.get(server, 0), ui, ["".join(b) for b in blocks]


def log_messages(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    out = []
    for m in re.finditer(r'Reply from "[^"]*": 200\n', text):
        end = text.find("</SyncML>", m.end())
        if end > 0:
            out.append(text[m.end():end + len("</SyncML>")].strip() + "\n")
    return out


def main():
    tool, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp()
    n = 0

    def seed(name, flags, msgs, binary=False):
        nonlocal n
        files = []
        for i, m in enumerate(msgs[:3]):
            p = os.path.join(tmp, "m%d" % i)
            with open(p, "wb") as f:
                f.write(m if binary else m.encode())
            files.append(p)
        for enc in (0, 1):  # XML in memory, then WBXML with a store
            fl = flags | (0x8f if enc else 0)
            out = os.path.join(outdir, "%s-%s" % (name, "wbxml" if enc else "xml"))
            if subprocess.call([tool, "session", out, str(fl)] + files) == 0:
                n += 1

    for path in sorted(glob.glob(os.path.join(ROOT, "tests/session/cases/*.case"))):
        acc, ui, msgs = case_messages(path)
        if msgs:
            seed("case-" + os.path.basename(path)[:-5],
                 acc << 4 | (0x40 if ui else 0), msgs)
    for path in sorted(glob.glob(os.path.join(
            ROOT, "tests/data/transcripts/funambol-scts-xml/*.log"))):
        msgs = log_messages(path)
        if msgs:
            seed("funambol-" + os.path.basename(path)[:-4], 0x40, msgs)
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/data/vectors/*.wbxml")) +
                       glob.glob(os.path.join(ROOT, "tests/data/transcripts/*.wbxml"))):
        data = open(path, "rb").read()
        seed("vector-" + os.path.basename(path)[:-6], 0x40, [data], binary=True)
    print("%d seeds in %s" % (n, outdir))


if __name__ == "__main__":
    main()
