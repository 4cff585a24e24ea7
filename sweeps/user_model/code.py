"""Shipping the user's project to a cluster's nodes (``code:``), through Ray's ``runtime_env``.

    code: {working_dir: ., excludes: [data/, "*.ckpt"]}   # the default: the working directory
    code: {py_modules: [my_project]}                      # or only these packages

On a cluster (``launchers.cluster``) the driver uploads the project once and every node's trial
processes run with it on their import path; classes travel as class-path strings and are imported
there. Files that ``.gitignore`` or ``.rayignore`` name are left out, as Ray leaves them out, and
so is ``.git``. A project over Ray's upload limit is refused before anything starts, with its size
and its largest folders. On this machine (``launchers.local``) the trials import the project from
the working directory itself.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

from pydantic import Field

from sweeps.errors import SweepError
from sweeps.sweep_file.pydantic_errors import validate_section
from typed_config.base import ArgsModel

# Ray uploads a runtime_env package in one gRPC message, at most this large.
UPLOAD_LIMIT_BYTES = int(os.environ.get("RAY_max_grpc_message_size", 512 * 1024**2))
DEFAULT_EXCLUDES = (".git",)
IGNORE_FILES = (".gitignore", ".rayignore")


class CodeOptions(ArgsModel):
    working_dir: str | None = Field(
        ".", description="the project folder shipped to every node (null: none)"
    )
    py_modules: list[str] = Field(
        [], max_length=100, description="packages (folders) shipped besides, or instead"
    )
    excludes: list[str] = Field(
        [], max_length=1000, description="gitignore-style patterns left out of the upload"
    )


def load_code_options(raw: Any) -> CodeOptions | None:
    return None if raw is None else validate_section(CodeOptions, raw, "code")


def runtime_env(options: CodeOptions | None) -> dict[str, Any]:
    """Ray's ``runtime_env`` that ships the project, checked (folders exist, size within Ray's
    limit); paths are made absolute from the working directory."""
    options = options or CodeOptions()
    env: dict[str, Any] = {}
    excludes = [*DEFAULT_EXCLUDES, *options.excludes]
    if options.working_dir is not None:
        root = _folder(options.working_dir, "code.working_dir")
        check_upload_size(root, excludes, "code.working_dir")
        env["working_dir"] = str(root)
        env["excludes"] = excludes
    modules = []
    for index, name in enumerate(options.py_modules):
        folder = _folder(name, f"code.py_modules[{index}]")
        check_upload_size(folder, excludes, f"code.py_modules[{index}]")
        modules.append(str(folder))
    if modules:
        env["py_modules"] = modules
        env.setdefault("excludes", excludes)
    return env


def _folder(name: str, path: str) -> Path:
    folder = Path(name).expanduser().absolute()
    if not folder.is_dir():
        raise SweepError(f"{folder} is not a folder", path=path)
    return folder


def shipped_files(root: Path, excludes: list[str]) -> list[Path]:
    """The files Ray uploads from ``root``: all but those the excludes and every ignore file on
    the way name (each ignore file applies to its own folder and below, as in git)."""
    # Imported here: pathspec loads only to ship a project to a cluster.
    import pathspec

    root_spec = pathspec.PathSpec.from_lines("gitwildmatch", excludes)
    found: list[Path] = []

    def walk(folder: Path, specs: list[tuple[Path, Any]]) -> None:
        specs = specs + [
            (folder, _ignore_spec(folder / name))
            for name in IGNORE_FILES
            if (folder / name).is_file()
        ]
        for child in sorted(folder.iterdir()):
            relative = child.relative_to(root).as_posix() + ("/" if child.is_dir() else "")
            if root_spec.match_file(relative) or any(
                spec.match_file(
                    child.relative_to(base).as_posix() + ("/" if child.is_dir() else "")
                )
                for base, spec in specs
            ):
                continue
            if child.is_symlink() and child.is_dir():
                continue
            if child.is_dir():
                walk(child, specs)
            elif child.is_file():
                found.append(child)

    walk(root, [])
    return found


def _ignore_spec(file: Path) -> Any:
    # Imported here: pathspec loads only to ship a project to a cluster.
    import pathspec

    return pathspec.PathSpec.from_lines(
        "gitwildmatch", file.read_text(errors="replace").splitlines()
    )


def check_upload_size(root: Path, excludes: list[str], path: str) -> int:
    """The bytes Ray would upload from ``root``; a SweepError naming the largest folders when
    that is over Ray's limit (measured as Ray packs it, compressed, when the files are larger)."""
    files = shipped_files(root, excludes)
    total = sum(file.stat().st_size for file in files)
    if total <= UPLOAD_LIMIT_BYTES or _zipped_size(root, files) <= UPLOAD_LIMIT_BYTES:
        return total
    by_folder: dict[str, int] = {}
    for file in files:
        parts = file.relative_to(root).parts
        top = parts[0] + ("/" if len(parts) > 1 else "")
        by_folder[top] = by_folder.get(top, 0) + file.stat().st_size
    largest = sorted(by_folder.items(), key=lambda item: -item[1])[:3]
    shown = ", ".join(f"{name} ({_mb(size)})" for name, size in largest)
    raise SweepError(
        f"{root} is {_mb(total)} to upload, over Ray's limit of {_mb(UPLOAD_LIMIT_BYTES)}; the largest: {shown}. "
        "Leave data out (code.excludes, .gitignore or .rayignore) and read it from shared storage",
        path=path,
    )


def _zipped_size(root: Path, files: list[Path]) -> int:
    class Counter:
        size = 0

        def write(self, data: bytes) -> int:
            self.size += len(data)
            return len(data)

        def tell(self) -> int:
            return self.size

        def flush(self) -> None:
            pass

        def close(self) -> None:
            pass  # part of a writable file's interface; ZipFile leaves a file it was given open

    counter = Counter()
    with zipfile.ZipFile(counter, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, file.relative_to(root).as_posix())
            if counter.size > UPLOAD_LIMIT_BYTES:
                break
    return counter.size


def _mb(size: int) -> str:
    return f"{size / 1024**2:.0f} MB" if size >= 1024**2 else f"{size / 1024:.0f} kB"
