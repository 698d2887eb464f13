"""Options of ``--backend powershell``: the admin host, how pinreset reaches it, and how it signs in to Graph.

The WinRM password comes from ``PINRESET_WINRM_PASSWORD`` or a prompt (as ``pinreset verify`` does), the app
secret of ``--ps-sign-in secret`` from the variable ``--client-secret-env`` names (default
``AZURE_CLIENT_SECRET``): never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from pinreset.cli._exit import UsageError
from pinreset.exceptions import ConfigurationError

if TYPE_CHECKING:
    from pinreset.backends import TenantBackend

__all__ = ["add_powershell_options", "open_powershell"]

_ENV_PASSWORD = "PINRESET_WINRM_PASSWORD"  # noqa: S105 - the variable's name, not a secret


def add_powershell_options(parser: argparse.ArgumentParser) -> None:
    """Add the ``--ps-*`` options (used only with ``--backend powershell``)."""
    group = parser.add_argument_group("powershell backend (--backend powershell)")
    group.add_argument("--ps-host", metavar="HOST", help="admin host with Microsoft.Graph PowerShell "
                       "(host, host:port; default: $PINRESET_PS_HOST)")
    group.add_argument("--ps-sign-in", choices=("certificate", "identity", "secret"),
                       help="how the admin host signs in to Graph (default: $PINRESET_PS_SIGN_IN, else certificate "
                       "with --ps-thumbprint, secret with a client secret, else identity)")
    group.add_argument("--ps-thumbprint", metavar="SHA1", help="certificate thumbprint in the admin host's store "
                       "(with --tenant-id and --client-id; default: $PINRESET_PS_THUMBPRINT)")
    group.add_argument("--ps-identity-client-id", metavar="ID", help="user-assigned managed identity's client id")
    group.add_argument("--ps-username", metavar="USER", help="WinRM account (default: $PINRESET_WINRM_USERNAME); "
                       f"its password from ${_ENV_PASSWORD} or a prompt")
    group.add_argument("--ps-transport", choices=("https", "http"), default="https", help="default: https (5986)")
    group.add_argument("--ps-auth", choices=("negotiate", "ntlm", "kerberos", "credssp", "basic"),
                       default="negotiate", help="WinRM authentication (default: negotiate; basic only over https)")
    group.add_argument("--ps-ca-bundle", metavar="F", help="PEM CAs to trust for the admin host "
                       "(default: $PINRESET_WINRM_CA_BUNDLE, else the system store)")
    group.add_argument("--ps-insecure-allow-credssp", action="store_true",
                       help="allow CredSSP, which hands your password to the admin host")


def _password(username: str | None) -> str | None:
    password = os.environ.get(_ENV_PASSWORD)
    if password is not None or username is None:
        return password
    if not sys.stdin.isatty():
        raise ConfigurationError(f"no WinRM password: set {_ENV_PASSWORD} or run in a terminal to be prompted")
    return getpass.getpass(f"WinRM password for {username}: ")


def open_powershell(args: argparse.Namespace) -> TenantBackend:
    """The PowerShell backend the options (and the environment) describe.

    Raises:
        ConfigurationError: the admin host, a sign-in value or the WinRM password is missing.
    """
    from pinreset.backends._ps_signin import sign_in_from_environment
    from pinreset.backends.powershell import PowerShellBackend
    from pinreset.remote import WinRMConnection

    env = os.environ
    if getattr(args, "certificate", None) or getattr(args, "device_code", False):
        raise UsageError("--certificate and --device-code are for the graph backend; with --backend "
                                 "powershell use --ps-sign-in certificate --ps-thumbprint SHA1")
    host = args.ps_host or env.get("PINRESET_PS_HOST")
    if not host:
        raise ConfigurationError("--backend powershell needs --ps-host HOST (or PINRESET_PS_HOST)")
    username = args.ps_username or env.get("PINRESET_WINRM_USERNAME") or None
    connection = WinRMConnection(
        username=username,
        password=_password(username),
        transport=args.ps_transport,
        auth=args.ps_auth,
        ca_bundle=args.ps_ca_bundle or env.get("PINRESET_WINRM_CA_BUNDLE") or None,
        allow_credssp=args.ps_insecure_allow_credssp,
    )
    secret_var = getattr(args, "client_secret_env", None) or "AZURE_CLIENT_SECRET"
    if getattr(args, "client_secret_env", None) and not env.get(secret_var):
        raise ConfigurationError(f"environment variable {secret_var} is not set or empty (it should hold the "
                                 "client secret)")
    overlay = {
        "PINRESET_PS_SIGN_IN": args.ps_sign_in or env.get("PINRESET_PS_SIGN_IN") or "",
        "AZURE_TENANT_ID": args.tenant_id or env.get("AZURE_TENANT_ID") or "",
        "AZURE_CLIENT_ID": args.client_id or env.get("AZURE_CLIENT_ID") or "",
        "AZURE_CLIENT_SECRET": env.get(secret_var) or "",
        "PINRESET_PS_THUMBPRINT": args.ps_thumbprint or env.get("PINRESET_PS_THUMBPRINT") or "",
        "PINRESET_PS_IDENTITY_CLIENT_ID": args.ps_identity_client_id or env.get("PINRESET_PS_IDENTITY_CLIENT_ID")
        or "",
    }
    sign_in = sign_in_from_environment(overlay)
    cloud = args.cloud or env.get("PINRESET_CLOUD") or "global"
    return PowerShellBackend(host, connection=connection, sign_in=sign_in, cloud=cloud)
