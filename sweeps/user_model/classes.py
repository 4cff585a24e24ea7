"""Importing what a sweep names by class path, and telling which Lightning package it is for.

Class paths are written as LightningCLI writes them (``my_project.models.Classifier``; a blueprint
may also be ``my_project.tuning:build``). Every failure is one line naming the key, the module
and what went wrong, with the closest names where a name was misspelt.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from typing import Any

from sweeps.errors import SweepError, first_line

# The Lightning base classes, by package ("flavour"): modules written against lightning.pytorch
# and against pytorch_lightning train under their own package's Trainer.
BASES = {
    "LightningModule": {"lightning.pytorch.core.module", "pytorch_lightning.core.module"},
    "LightningDataModule": {
        "lightning.pytorch.core.datamodule",
        "pytorch_lightning.core.datamodule",
    },
}


def split_target(target: str) -> tuple[str, list[str]]:
    """('pkg.mod', ['Name']) for 'pkg.mod:Name'; for a dotted path the module part is found by
    importing (see import_target)."""
    if ":" in target:
        module, _, attribute = target.partition(":")
        return module, attribute.split(".")
    return target, []


def import_target(target: Any, path: str) -> Any:
    """The object ``target`` names ('pkg.mod.Name' or 'pkg.mod:Name'); SweepError at ``path``."""
    if (
        not isinstance(target, str)
        or not target
        or any(not part.isidentifier() for part in target.replace(":", ".").split("."))
    ):
        raise SweepError(
            f"got {target!r}; write a class path such as my_project.models.Classifier", path=path
        )
    module_name, attributes = split_target(target)
    parts = module_name.split(".")
    if not attributes:
        if len(parts) < 2:
            raise SweepError(
                f"got {target!r}; a class path names a module and a class in it, such as "
                "my_project.models.Classifier",
                path=path,
            )
        # The longest prefix that is a module; the rest are attributes.
        for cut in range(len(parts) - 1, 0, -1):
            candidate = ".".join(parts[:cut])
            module = _import_module(candidate, path, missing_ok=cut > 1)
            if module is not None:
                return _attribute(module, candidate, parts[cut:], path)
        raise AssertionError("unreachable: the first part is imported without missing_ok")
    module = _import_module(module_name, path, missing_ok=False)
    return _attribute(module, module_name, attributes, path)


def _import_module(name: str, path: str, missing_ok: bool) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and (name == error.name or name.startswith(error.name + ".")):
            if missing_ok:
                return None
            raise SweepError(
                f"cannot import {name}: there is no module {error.name!r} (run from your project's folder, or "
                "install it; on a cluster, ship it with code:)",
                path=path,
            ) from None
        raise SweepError(
            f"importing {name} failed: {type(error).__name__}: {first_line(error)}", path=path
        ) from None
    except SweepError:
        raise
    except BaseException as error:  # the user's module raised while being imported
        if isinstance(error, KeyboardInterrupt):
            raise
        raise SweepError(
            f"importing {name} failed: {type(error).__name__}: {first_line(error)}", path=path
        ) from None


def _attribute(module: Any, module_name: str, attributes: list[str], path: str) -> Any:
    found = module
    where = module_name
    for name in attributes:
        if not hasattr(found, name):
            names = [n for n in dir(found) if not n.startswith("_")]
            if hasattr(found, "__path__"):  # a package: its modules, imported yet or not
                names += [info.name for info in pkgutil.iter_modules(found.__path__)]
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            kind = "module" if inspect.ismodule(found) else "class"
            raise SweepError(f"{kind} {where} has no {name!r}{hint}", path=path)
        found = getattr(found, name)
        where = f"{where}.{name}"
    return found


def flavour_of(klass: type, base: str) -> str | None:
    """'lightning.pytorch' or 'pytorch_lightning' for a subclass of that package's ``base``
    (LightningModule or LightningDataModule), else None."""
    for ancestor in inspect.getmro(klass):
        if ancestor.__name__ == base and ancestor.__module__ in BASES[base]:
            return ancestor.__module__.rsplit(".core.", 1)[0]
    return None


def lightning_class(target: Any, base: str, path: str) -> tuple[type, str]:
    """The class at ``target``, checked to subclass ``base``, and its Lightning package."""
    klass = import_target(target, path)
    if not inspect.isclass(klass):
        raise SweepError(
            f"{target} is a {type(klass).__name__}, not a class; name your {base} subclass",
            path=path,
        )
    flavour = flavour_of(klass, base)
    if flavour is None:
        raise SweepError(
            f"{target} is not a {base}: it subclasses neither lightning.pytorch.{base} nor "
            f"pytorch_lightning.{base}",
            path=path,
        )
    return klass, flavour
