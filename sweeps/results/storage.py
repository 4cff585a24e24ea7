"""Where a sweep's results live: a local folder (or shared mount), or a folder named by a pyarrow
filesystem URI (``s3://bucket/sweeps``, ``gs://bucket/sweeps``).

Ray Tune writes trials, checkpoints and its state to either directly. What the driver writes
itself (the TensorBoard runs, the tables, ``best.json``) goes straight into a local folder, and for
a URI into Tune's local staging folder, which Tune uploads with its state, or is uploaded when the
sweep ends. Endpoints and credentials come from the environment as for any pyarrow or AWS/GCS
client (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``GOOGLE_APPLICATION_CREDENTIALS``, ...).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sweeps.errors import SweepError, first_line

URI = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$")


@dataclass(frozen=True)
class Location:
    """A folder: local (``scheme`` None, ``path`` absolute) or on a remote filesystem."""

    scheme: str | None
    path: str  # local: an absolute path; remote: the path after "scheme://", no trailing "/"

    @classmethod
    def parse(cls, storage: str | Path) -> Location:
        text = str(storage)
        match = URI.match(text)
        if match is None or match["scheme"] == "file":
            local = match["rest"] if match else text
            return cls(None, str(Path(local).expanduser().resolve()))
        if "?" in match["rest"]:
            raise SweepError(
                f"storage {text}: options in the URI are not supported; set them in the environment "
                "(for S3: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, ...)"
            )
        path = match["rest"].strip("/")
        if not path:
            raise SweepError(
                f"storage {text}: name a bucket (and optionally a folder), as in {match['scheme']}://bucket/sweeps"
            )
        return cls(match["scheme"].lower(), path)

    @property
    def is_remote(self) -> bool:
        return self.scheme is not None

    def __str__(self) -> str:
        return f"{self.scheme}://{self.path}" if self.scheme else self.path

    def child(self, *names: str) -> Location:
        return Location(self.scheme, "/".join([self.path.rstrip("/"), *names]))

    def local(self) -> Path:
        """The folder itself; only for local locations."""
        assert self.scheme is None, "a remote location has no local path"
        return Path(self.path)

    def filesystem(self) -> tuple[Any, str]:
        """(pyarrow filesystem, path on it); a one-line SweepError when it cannot be opened."""
        # Imported here: pyarrow loads only where tables or storage are read, not with this module.
        import pyarrow.fs

        if self.scheme is None:
            return pyarrow.fs.LocalFileSystem(), self.path
        try:
            filesystem, path = pyarrow.fs.FileSystem.from_uri(str(self))
        except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ... for unusable URIs
            raise SweepError(f"storage {self}: cannot open it ({first_line(error)})") from None
        return filesystem, path

    def uri_of(self, fs_path: str) -> str:
        """A path on this location's filesystem (as Tune reports it), named as the user would."""
        return f"{self.scheme}://{fs_path.lstrip('/')}" if self.scheme else fs_path

    # Small file operations, for the remote case (local code uses pathlib directly).

    def exists(self) -> bool:
        # Imported here: pyarrow loads only where tables or storage are read, not with this module.
        import pyarrow.fs

        filesystem, path = self.filesystem()
        try:
            return filesystem.get_file_info(path).type != pyarrow.fs.FileType.NotFound
        except OSError as error:
            raise SweepError(f"storage {self}: cannot read it ({first_line(error)})") from None

    def names(self) -> list[str]:
        """The names of the entries in this folder (none when it does not exist)."""
        # Imported here: pyarrow loads only where tables or storage are read, not with this module.
        import pyarrow.fs

        filesystem, path = self.filesystem()
        try:
            infos = filesystem.get_file_info(pyarrow.fs.FileSelector(path, allow_not_found=True))
        except OSError as error:
            raise SweepError(f"storage {self}: cannot list it ({first_line(error)})") from None
        return sorted(info.base_name for info in infos)

    def read_bytes(self) -> bytes:
        filesystem, path = self.filesystem()
        with filesystem.open_input_stream(path) as stream:
            return stream.read()

    def write_bytes(self, data: bytes) -> None:
        filesystem, path = self.filesystem()
        try:
            with filesystem.open_output_stream(path) as stream:
                stream.write(data)
        except OSError as error:
            raise SweepError(f"storage {self}: cannot write it ({first_line(error)})") from None

    def copy_folder(self, target: Location) -> None:
        """Copy this folder to ``target`` on the same filesystem."""
        # Imported here: pyarrow loads only where tables or storage are read, not with this module.
        import pyarrow.fs

        filesystem, path = self.filesystem()
        _, target_path = target.filesystem()
        filesystem.create_dir(target_path)
        pyarrow.fs.copy_files(
            path, target_path, source_filesystem=filesystem, destination_filesystem=filesystem
        )

    def remove_folder(self) -> None:
        """Delete this folder and everything in it (nothing happens when it does not exist)."""
        # Imported here: pyarrow loads only where tables or storage are read, not with this module.
        import pyarrow.fs

        filesystem, path = self.filesystem()
        try:
            if filesystem.get_file_info(path).type != pyarrow.fs.FileType.NotFound:
                filesystem.delete_dir(path)
        except OSError as error:
            raise SweepError(f"storage {self}: cannot remove it ({first_line(error)})") from None

    def upload(self, folder: Path) -> None:
        """Copy every file under the local ``folder`` into this location, keeping relative paths."""
        # Imported here: pyarrow loads only where tables or storage are read, not with this module.
        import pyarrow.fs

        filesystem, path = self.filesystem()
        pyarrow.fs.copy_files(
            str(folder),
            path,
            source_filesystem=pyarrow.fs.LocalFileSystem(),
            destination_filesystem=filesystem,
        )

    def download(self, folder: Path) -> Path:
        """Copy this remote folder (or file) into the local ``folder``; returns the local copy."""
        # Imported here: pyarrow loads only where tables or storage are read, not with this module.
        import pyarrow.fs

        filesystem, path = self.filesystem()
        target = folder / path.rstrip("/").rsplit("/", 1)[-1]
        if filesystem.get_file_info(path).type == pyarrow.fs.FileType.File:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.read_bytes())
            return target
        target.mkdir(parents=True, exist_ok=True)
        for info in filesystem.get_file_info(pyarrow.fs.FileSelector(path, recursive=True)):
            if info.type == pyarrow.fs.FileType.File:
                local = target / info.path[len(path.rstrip("/")) + 1 :]
                local.parent.mkdir(parents=True, exist_ok=True)
                with filesystem.open_input_stream(info.path) as stream:
                    local.write_bytes(stream.read())
        return target


@contextmanager
def fetched(path_or_uri: str | Path) -> Iterator[Path]:
    """A local path for a file or folder: itself when local, a temporary copy of a URI's."""
    location = Location.parse(path_or_uri)
    if not location.is_remote:
        yield location.local()
        return
    if not location.exists():
        raise FileNotFoundError(f"{location}: no such file or folder")
    with tempfile.TemporaryDirectory(prefix="sweep-fetched-") as folder:
        yield location.download(Path(folder))


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
