"""`make build ARCH=...`: which machine it builds for, and what it says when it cannot.

Run by `make test-arm64` (they run make with -n or stop before any compile: seconds)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make(*args, env=None):
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300,
    )


@pytest.mark.parametrize("arch", ["sparc", "x86-64", "arm", "ARM64", "i386"])
def test_an_unknown_arch_is_refused_with_the_two_valid_names(arch):
    r = make("-n", "build", f"ARCH={arch}")
    assert r.returncode != 0
    assert f"ARCH must be x86_64 or arm64 (or their other names amd64 and aarch64), not '{arch}'" in r.stderr
    assert "cargo" not in r.stdout


@pytest.mark.parametrize("arch", ["arm64", "aarch64"])
def test_arm64_and_aarch64_build_for_arm64_in_a_target_dir_of_their_own(arch):
    r = make("-n", "build", f"ARCH={arch}")
    assert r.returncode == 0, r.stderr
    assert "tools/arm64.sh setup" in r.stdout, "the toolchain is checked first"
    assert "tools/arm64.sh cargo build -vv --release --locked --target aarch64-unknown-linux-gnu --bin bootstrap" in r.stdout
    assert "install-if-changed.sh target/arm64/aarch64-unknown-linux-gnu/release/bootstrap dist/bootstrap" in r.stdout


@pytest.mark.parametrize("arch", ["x86_64", "amd64"])
def test_x86_64_and_amd64_build_for_x86_64(arch):
    r = make("-n", "build", f"ARCH={arch}")
    assert r.returncode == 0, r.stderr
    assert "--target" not in r.stdout and "arm64" not in r.stdout
    assert "install-if-changed.sh target/release/bootstrap dist/bootstrap" in r.stdout


def test_an_alias_reaches_the_deploy_scripts_as_the_usual_name():
    r = make("-n", "deploy", "ARCH=aarch64")
    assert r.returncode == 0, r.stderr
    # make exports ARCH=arm64 to deploy/deploy.sh (the dry run shows the build it calls).
    assert "--target aarch64-unknown-linux-gnu" in r.stdout


def no_toolchain_machine(tmp_path, os_id):
    """Environment of a machine with no arm64 route: no rustup, no Debian rustc-web."""
    os_release = tmp_path / "os-release"
    os_release.write_text(f'ID={os_id}\nNAME="{os_id}"\n')
    return {
        "ARM64_OS_RELEASE": str(os_release),
        "ARM64_DEBIAN_RUSTC": str(tmp_path / "no-rustc"),
        "ARM64_DEBIAN_CARGO": str(tmp_path / "no-cargo"),
        # rustup lives in ~/.cargo/bin: leave it off the PATH.
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    }


@pytest.mark.parametrize("os_id", ["fedora", "arch", "macos"])
def test_arm64_without_a_route_stops_before_any_compile_naming_both_routes(tmp_path, os_id):
    r = make("build", "ARCH=arm64", env=no_toolchain_machine(tmp_path, os_id))
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "ARCH=arm64 needs a Rust compiler for aarch64-unknown-linux-gnu, and this machine has none" in out
    assert "rustup target add aarch64-unknown-linux-gnu" in out
    assert "cargo lambda build --release --arm64" in out and "ziglang" in out
    assert "Compiling" not in out and "cargo build" not in out


def fake_commands(tmp_path, **scripts):
    """A directory of stand-in commands, to put first on the PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return str(bin_dir)


def test_rustups_target_when_installed_comes_before_debians_compiler(tmp_path):
    bin_dir = fake_commands(tmp_path, rustup='echo aarch64-unknown-linux-gnu')
    r = subprocess.run(
        [str(ROOT / "tools/arm64.sh"), "route"], capture_output=True, text=True,
        env={**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"},
    )
    assert r.stdout.strip() == "rustup"


def test_on_debian_without_root_the_build_says_what_to_install(tmp_path):
    env = no_toolchain_machine(tmp_path, "debian")
    bin_dir = fake_commands(tmp_path, id="echo 1000", sudo="exit 1")
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    r = subprocess.run(
        [str(ROOT / "tools/arm64.sh"), "setup"], capture_output=True, text=True,
        env={**os.environ, **env},
    )
    assert r.returncode != 0
    assert "installing Debian's cross toolchain needs root (or sudo without a password)" in r.stderr
    assert "apt-get install rustc-web cargo-web libstd-rust-web-dev:arm64" in r.stderr
    assert "rustup target add aarch64-unknown-linux-gnu" in r.stderr


def test_the_cargo_wrapper_refuses_to_build_without_a_route(tmp_path):
    r = subprocess.run(
        [str(ROOT / "tools/arm64.sh"), "cargo", "build"], capture_output=True, text=True,
        env={**os.environ, **no_toolchain_machine(tmp_path, "fedora")},
    )
    assert r.returncode != 0
    assert "no compiler for aarch64-unknown-linux-gnu here" in r.stderr


def fake_package(tmp_path, elf):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy(elf, pkg / "bootstrap")
    (pkg / "bootstrap").chmod(0o755)
    subprocess.run(["zip", "-X", "-q", "bootstrap.zip", "bootstrap"], cwd=pkg, check=True)
    return pkg


def test_the_package_check_refuses_an_x86_64_binary_as_arm64(tmp_path):
    pkg = fake_package(tmp_path, "/bin/true")  # an x86_64 ELF on this machine
    r = subprocess.run(
        [str(ROOT / "tools/check-package.sh"), pkg / "bootstrap.zip", pkg / "bootstrap", "2.34", "arm64"],
        capture_output=True, text=True,
    )
    assert r.returncode != 0
    assert "is built for ELF machine 3e00, not arm64 (b700)" in r.stdout


def test_the_package_check_refuses_an_arm64_binary_as_x86_64(tmp_path):
    pkg = fake_package(tmp_path, "/usr/aarch64-linux-gnu/lib/libc.so.6")
    r = subprocess.run(
        [str(ROOT / "tools/check-package.sh"), pkg / "bootstrap.zip", pkg / "bootstrap", "2.34", "x86_64"],
        capture_output=True, text=True,
    )
    assert r.returncode != 0
    assert "is built for ELF machine b700, not x86_64 (3e00)" in r.stdout
