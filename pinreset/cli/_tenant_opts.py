"""Options shared by the commands that talk to a tenant: backend, cloud, credential, desired state, output.

Secrets never come from the command line (process listings, shell history): ``--client-secret-env VAR`` names
the environment variable that holds it. Without credential options, the library's default credential reads the
environment (``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``, ``AZURE_CLIENT_SECRET``, ``AZURE_CLIENT_CERTIFICATE_PATH``,
and the emulator's ``AZURE_AUTHORITY_HOST`` / ``PINRESET_GRAPH_URL`` / ``PINRESET_CA_BUNDLE``).
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pinreset.cli._exit import UsageError
from pinreset.cli._ps_opts import add_powershell_options
from pinreset.cli._render import OUTPUTS
from pinreset.exceptions import ConfigurationError

if TYPE_CHECKING:
    from pinreset.backends import TenantBackend
    from pinreset.deploy import DesiredState

__all__ = [
    "BACKENDS",
    "add_desired_options",
    "add_output_option",
    "add_tenant_options",
    "desired_from_args",
    "desired_with_defaults",
    "open_backend",
]

_CLOUDS = ("global", "usgov", "usgovdod", "china")
_METHODS = ("settings-catalog", "identity-protection", "custom-oma-uri")


def _graph(args: argparse.Namespace) -> TenantBackend:
    module: Any = importlib.import_module("pinreset.backends.graph")
    credential = _credential(args)
    if credential is None:
        # The default credential reads the environment, the emulator's variables included.
        overrides = {"cloud": args.cloud} if args.cloud else {}
        backend: TenantBackend = module.GraphBackend.from_environment(**overrides)
        return backend
    connected: TenantBackend = module.GraphBackend.connect(
        credential=credential,
        cloud=args.cloud or "global",
        graph_url=os.environ.get("PINRESET_GRAPH_URL") or None,
        ca_bundle=os.environ.get("PINRESET_CA_BUNDLE") or None,
    )
    return connected


def _powershell(args: argparse.Namespace) -> TenantBackend:
    from pinreset.cli._ps_opts import open_powershell

    return open_powershell(args)


#: Backend name -> opener. New backends register here; ``--backend`` offers exactly these names.
BACKENDS: dict[str, Callable[[argparse.Namespace], TenantBackend]] = {"graph": _graph, "powershell": _powershell}


def add_tenant_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--backend``, ``--cloud`` and the credential options."""
    group = parser.add_argument_group("tenant connection")
    group.add_argument("--backend", choices=tuple(BACKENDS), default="graph", help="default: graph")
    group.add_argument("--cloud", choices=_CLOUDS, help="national cloud (default: $AZURE_CLOUD or global)")
    group.add_argument("--tenant-id", metavar="ID", help="tenant id or verified domain (default: $AZURE_TENANT_ID)")
    group.add_argument("--client-id", metavar="ID", help="app registration's client id (default: $AZURE_CLIENT_ID)")
    group.add_argument(
        "--client-secret-env", metavar="VAR", help="name of the environment variable holding the client secret"
    )
    group.add_argument("--certificate", metavar="PATH", help="PEM or PFX certificate of the app registration")
    group.add_argument("--device-code", action="store_true", help="sign in as an admin with the device code flow")
    add_powershell_options(parser)


def add_desired_options(parser: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """Add the desired-state options; ``defaults=False`` leaves them unset unless given (``status``)."""
    group = parser.add_argument_group("desired state")
    group.add_argument(
        "--assign-to",
        action="append",
        metavar="all-users|group:NAME",
        help="who gets the policy; repeat for several groups" + (" (default: all-users)" if defaults else ""),
    )
    group.add_argument("--exclude", action="append", metavar="group:NAME", help="exclude a group; repeatable")
    group.add_argument("--method", choices=_METHODS, help="Intune route (default: settings-catalog)")
    group.add_argument("--policy-name", metavar="NAME", help="policy display name")
    group.add_argument(
        "--web-sign-in-url", action="append", metavar="DOMAIN",
        help="web sign-in allowed domain for federated tenants; repeatable",
    )
    group.add_argument(
        "--no-provision-apps", action="store_true", help="do not create the PIN reset service principals"
    )
    parser.set_defaults(desired_defaults=defaults)


def add_output_option(parser: argparse.ArgumentParser, choices: tuple[str, ...] = OUTPUTS) -> None:
    """Add ``--output``."""
    parser.add_argument("--output", "-o", choices=choices, default="table", help="default: table")


def _group_names(values: list[str] | None, option: str) -> list[str]:
    names = []
    for value in values or []:
        kind, _, name = value.partition(":")
        if kind.strip().lower() != "group" or not name.strip():
            raise UsageError(f"{option} {value!r}: expected group:NAME")
        names.append(name.strip())
    return names


def desired_from_args(args: argparse.Namespace) -> DesiredState | None:
    """The desired state the options describe; ``None`` for ``status`` when none was given.

    Raises:
        UsageError: an option value is malformed or options contradict each other.
    """
    from pinreset.deploy import DEFAULT_POLICY_NAME, AllUsers, DesiredState, Groups

    given = any(
        getattr(args, name, None)
        for name in ("assign_to", "exclude", "method", "policy_name", "web_sign_in_url", "no_provision_apps")
    )
    if not given and not getattr(args, "desired_defaults", True):
        return None
    assign = list(args.assign_to or ["all-users"])
    all_users = [a for a in assign if a.strip().lower() in ("all-users", "allusers", "all")]
    groups = _group_names([a for a in assign if a not in all_users], "--assign-to")
    if all_users and groups:
        raise UsageError("--assign-to all-users cannot be combined with groups")
    excluded = _group_names(args.exclude, "--exclude")
    try:
        return DesiredState(
            assign_to=AllUsers() if all_users else Groups(*groups),
            exclude=Groups(*excluded) if excluded else None,
            name=args.policy_name or DEFAULT_POLICY_NAME,
            method=args.method or "settings-catalog",
            web_sign_in_allowed_urls=tuple(args.web_sign_in_url or ()),
            provision_apps=not args.no_provision_apps,
        )
    except ConfigurationError as exc:
        # Everything DesiredState refuses here came from an option value (a bad domain, a group both assigned
        # and excluded): a usage error, not a tenant error.
        raise UsageError(str(exc)) from None


def desired_with_defaults(args: argparse.Namespace) -> DesiredState:
    """The desired state the options describe, defaults filled in (all users, settings catalog)."""
    from pinreset.deploy import DesiredState

    return desired_from_args(args) or DesiredState()


def _credential(args: argparse.Namespace) -> Any:
    auth: Any = importlib.import_module("pinreset.auth")
    explicit = args.tenant_id or args.client_id or args.client_secret_env or args.certificate or args.device_code
    if not explicit:
        return None
    tenant_id = args.tenant_id or os.environ.get("AZURE_TENANT_ID")
    client_id = args.client_id or os.environ.get("AZURE_CLIENT_ID")
    if not tenant_id or not client_id:
        raise ConfigurationError("--tenant-id and --client-id are required (or AZURE_TENANT_ID / AZURE_CLIENT_ID)")
    common: dict[str, Any] = {
        "cloud": args.cloud or "global",
        "authority_host": os.environ.get("AZURE_AUTHORITY_HOST") or None,
        "ca_bundle": os.environ.get("PINRESET_CA_BUNDLE") or None,
    }
    if sum(bool(x) for x in (args.client_secret_env, args.certificate, args.device_code)) > 1:
        raise UsageError("choose one of --client-secret-env, --certificate, --device-code")
    if args.device_code:
        return auth.DeviceCodeCredential(tenant_id, client_id, **common)
    if args.certificate:
        return auth.CertificateCredential(tenant_id, client_id, args.certificate, **common)
    var = args.client_secret_env or "AZURE_CLIENT_SECRET"
    secret = os.environ.get(var)
    if not secret:
        raise ConfigurationError(f"environment variable {var} is not set or empty (it should hold the client secret)")
    return auth.ClientSecretCredential(tenant_id, client_id, secret, **common)


def open_backend(args: argparse.Namespace) -> TenantBackend:
    """Open the backend the options name (close it when done).

    Raises:
        ConfigurationError: a credential option is missing or the backend is unavailable.
    """
    return BACKENDS[args.backend](args)
