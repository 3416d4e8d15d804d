#!/usr/bin/env python3
"""install-steps.py: follows the release tarball's Bottles dependency
manifest or Lutris installer on a Wine prefix, step by step, as those
programs do (make check-install, tests/run-install.sh), so that what the
files say is what gets tested.

  install-steps.py bottles REPO NAME --temp DIR --prefix P --arch win64|win32
      The dependency NAME of the Bottles repository REPO (what
      LOCAL_DEPENDENCIES names: index.yml gives its Category, the manifest
      is <Category>/NAME.yml), and its steps: archive_extract (the archive must already be
      in Bottles' temp directory DIR, as README tells users to put it; its
      MD5 is checked, it is unpacked into DIR/<name without extension>/),
      install_exe (a program from DIR run in the prefix with its arguments),
      copy_dll / copy_file (url temp/... to dest win64 = the 64-bit system
      directory, win32 = the 32-bit one: syswow64 of a 64-bit bottle),
      override_dll (HKCU\\Software\\Wine\\DllOverrides); a step's "for" names
      the bottle architectures it is for.
  install-steps.py lutris SCRIPT --gamedir P --cache DIR --file ID=PATH...
      Lutris' installer commands: task create_prefix / wineexec /
      set_regedit, extract (an archive with one top folder is unpacked
      without it, as Lutris does), copy / merge (a file into a folder),
      rename; $GAMEDIR and $CACHE are substituted, a file ID is the file
      given with --file (what the user picks for an N/A: file). Prints the
      game's WINEDLLOVERRIDES (from wine: overrides) as its last line.

Any other step or command fails the run: the files may only use what is
followed here. Wine: WINE (default wine) and WINE64 (the 64-bit loader,
default WINE) from the environment; a program runs under the loader of its
own PE machine.
"""
import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import yaml

WINE = os.environ.get("WINE", "wine")
WINE64 = os.environ.get("WINE64", WINE)
KEY = "HKEY_CURRENT_USER\\Software\\Wine\\DllOverrides"


def fail(msg):
    print("install-steps: " + msg, file=sys.stderr)
    sys.exit(1)


def say(msg):
    print("install-steps: " + msg, flush=True)


def pe_is_64(path):
    with open(path, "rb") as f:
        data = f.read(4096)
    off = int.from_bytes(data[0x3C:0x40], "little")
    return int.from_bytes(data[off + 4:off + 6], "little") == 0x8664


def wine_run(prefix, args, program=None):
    env = dict(os.environ, WINEPREFIX=prefix, WINEDEBUG=os.environ.get("WINEDEBUG", "-all"))
    loader = WINE64 if program and pe_is_64(program) else WINE
    say("running " + " ".join([loader] + args))
    res = subprocess.run([loader] + args, env=env, stdin=subprocess.DEVNULL)
    if res.returncode:
        fail("%s exited with %d" % (" ".join(args), res.returncode))


def reg_add(prefix, path, key, value, kind="REG_SZ"):
    wine_run(prefix, ["reg", "add", path, "/v", key, "/t", kind, "/d", str(value), "/f"])


def unpack(archive, dest, strip_single=False):
    os.makedirs(dest, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            names = z.namelist()
            z.extractall(dest)
    else:
        with tarfile.open(archive) as t:
            names = t.getnames()
            t.extractall(dest)
    tops = {n.split("/")[0] for n in names if n}
    if strip_single and len(tops) == 1 and os.path.isdir(os.path.join(dest, next(iter(tops)))):
        top = os.path.join(dest, next(iter(tops)))
        for entry in os.listdir(top):
            shutil.move(os.path.join(top, entry), os.path.join(dest, entry))
        os.rmdir(top)


# ---- Bottles ----

def bottles(args):
    index = yaml.safe_load(open(os.path.join(args.repo, "index.yml")))
    if args.name not in index or "Category" not in index[args.name]:
        fail("%s/index.yml has no %s with a Category" % (args.repo, args.name))
    manifest = yaml.safe_load(open(os.path.join(args.repo, index[args.name]["Category"], args.name + ".yml")))
    for field in ("Name", "Description", "Provider", "License", "Steps"):
        if field not in manifest:
            fail("the manifest has no %s" % field)
    prefix, temp, arch = args.prefix, args.temp, args.arch
    windows = os.path.join(prefix, "drive_c", "windows")

    def temp_path(url):
        if not url.startswith("temp/"):
            fail("a local path must start with temp/: " + url)
        return os.path.join(temp, url[len("temp/"):])

    def dest_dir(dest):
        if dest.startswith("win64"):
            return None if arch != "win64" else os.path.join(windows, "system32") + dest[len("win64"):]
        if dest.startswith("win32"):
            sub = "syswow64" if arch == "win64" else "system32"
            return os.path.join(windows, sub) + dest[len("win32"):]
        if dest.startswith("windows/"):
            return os.path.join(prefix, "drive_c", dest)
        fail("destination not supported: " + dest)

    for n, step in enumerate(manifest["Steps"], 1):
        action = step["action"]
        if arch not in step.get("for", "win64_win32"):
            say("step %d (%s): not for a %s bottle" % (n, action, arch))
            continue
        say("step %d: %s" % (n, action))
        if action == "archive_extract":
            name = step["file_name"]
            archive = os.path.join(temp, name)
            if not os.path.isfile(archive):
                fail("%s is not in the temp directory %s (and this test never downloads)" % (name, temp))
            if step.get("file_checksum"):
                md5 = hashlib.md5(open(archive, "rb").read()).hexdigest()
                if md5 != step["file_checksum"].lower():
                    fail("%s: MD5 %s, the manifest says %s" % (name, md5, step["file_checksum"]))
            dest = os.path.join(temp, os.path.splitext(name)[0])
            shutil.rmtree(dest, ignore_errors=True)
            unpack(archive, dest)
        elif action == "install_exe":
            program = os.path.join(temp_path(step["url"]), step["file_name"])
            wine_run(prefix, [program] + str(step.get("arguments", "")).split(), program)
        elif action in ("copy_dll", "copy_file"):
            src, dest = temp_path(step["url"]), dest_dir(step["dest"])
            if dest is None:
                say("  (a win64 destination in a 32-bit bottle: skipped)")
                continue
            os.makedirs(dest, exist_ok=True)
            files = glob.glob(os.path.join(src, step["file_name"]))
            if not files:
                fail("nothing matches %s in %s" % (step["file_name"], src))
            for f in files:
                target = os.path.join(dest, os.path.basename(f))
                if os.path.islink(target):
                    os.unlink(target)
                shutil.copyfile(f, target)
        elif action == "override_dll":
            reg_add(prefix, KEY, step["dll"], step["type"])
        else:
            fail("step %d: action %s is not followed by this test" % (n, action))
    say("%s: %d steps followed" % (manifest["Name"], len(manifest["Steps"])))


# ---- Lutris ----

def lutris(args):
    script = yaml.safe_load(open(args.script))
    for field in ("name", "game_slug", "version", "slug", "runner", "script"):
        if field not in script:
            fail("the installer has no %s" % field)
    if script["runner"] != "wine":
        fail("runner %s, not wine" % script["runner"])
    body = script["script"]
    files = dict(f.split("=", 1) for f in args.file)
    for entry in body.get("files", []):
        for ident in entry:
            if ident not in files:
                fail("the installer wants file %s: give it with --file %s=PATH" % (ident, ident))
    variables = {"$GAMEDIR": args.gamedir, "$CACHE": args.cache}

    def sub(value):
        value = str(value)
        for name in sorted(variables, key=len, reverse=True):
            value = value.replace(name, variables[name])
        return value

    def path_of(ref):
        return files.get(ref) or sub(ref)

    def prefix_of(params):
        return sub(params.get("prefix", body.get("game", {}).get("prefix", "$GAMEDIR")))

    for n, command in enumerate(body.get("installer", []), 1):
        if len(command) != 1:
            fail("command %d: %s" % (n, command))
        (name, params), = command.items()
        say("command %d: %s %s" % (n, name, params.get("name", "") if isinstance(params, dict) else ""))
        if name == "task":
            task = params["name"]
            prefix = prefix_of(params)
            if task == "create_prefix":
                if not os.path.isfile(os.path.join(prefix, "system.reg")):
                    env = dict(os.environ, WINEARCH=params.get("arch", "win64"))
                    subprocess.run([WINE, "wineboot", "-i"], env=dict(env, WINEPREFIX=prefix), check=True)
                else:
                    say("  (the prefix exists)")
            elif task == "wineexec":
                program = path_of(params["executable"])
                wine_run(prefix, [program] + sub(params.get("args", "")).split(), program)
            elif task == "set_regedit":
                reg_add(prefix, params["path"], params["key"], params["value"], params.get("type", "REG_SZ"))
            else:
                fail("task %s is not followed by this test" % task)
        elif name == "extract":
            src = path_of(params.get("file") or params["src"])
            dst = sub(params.get("dst", "$GAMEDIR"))
            unpack(src, dst, strip_single="nomerge" not in params)
        elif name in ("copy", "merge"):
            src, dst = path_of(params["src"]).rstrip("/"), sub(params["dst"]).rstrip("/")
            if not os.path.exists(src):
                fail("source does not exist: " + src)
            os.makedirs(dst, exist_ok=True)
            if os.path.isfile(src):
                shutil.copy(src, dst)
            else:
                shutil.copytree(src, dst, dirs_exist_ok=True)
        elif name == "rename":
            src, dst = path_of(params["src"]), sub(params["dst"])
            if os.path.exists(dst):
                fail("rename: %s exists" % dst)
            os.renames(src, dst)
        else:
            fail("command %s is not followed by this test" % name)
    overrides = body.get("wine", {}).get("overrides", {})
    print(";".join("%s=%s" % (k, v) for k, v in overrides.items()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="kind", required=True)
    b = sub.add_parser("bottles")
    b.add_argument("repo")
    b.add_argument("name")
    b.add_argument("--temp", required=True)
    b.add_argument("--prefix", required=True)
    b.add_argument("--arch", choices=("win64", "win32"), default="win64")
    lu = sub.add_parser("lutris")
    lu.add_argument("script")
    lu.add_argument("--gamedir", required=True)
    lu.add_argument("--cache", required=True)
    lu.add_argument("--file", action="append", default=[])
    args = p.parse_args()
    (bottles if args.kind == "bottles" else lutris)(args)


if __name__ == "__main__":
    main()
