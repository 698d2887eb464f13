"""Microsoft.Graph.Authentication on the admin host: sign-in (``Connect-MgGraph``), context, raw requests.

``Connect-MgGraph`` signs the runspace pool in app-only, one of three ways the admin host supports: the
certificate in its store (``-ClientId -CertificateThumbprint -TenantId``), its managed identity
(``-Identity [-ClientId]``), or an app secret (``-ClientSecretCredential`` with the client id as user name and
the secret as a SecureString; the client must exchange session keys first). Each is checked against the
emulated tenant's app registrations, failing as Entra ID does (AADSTS codes).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from pinreset.emulator.winrm._engine import Invocation, Param, PSError
from pinreset.emulator.winrm._objects import PSObj, SecureText, custom_object
from pinreset.emulator.winrm.cmdlets._mggraph import (
    CLOUDS,
    MgConnection,
    call,
    checked,
    cmdlet_class,
    connection,
    mg_cmdlet,
    set_connection,
)

__all__: list[str] = []

_AUTH = "Microsoft.Graph.Authentication"
_CONNECT = cmdlet_class("Connect-MgGraph", _AUTH, None)


def _auth_error(message: str, exception: str = "Azure.Identity.AuthenticationFailedException") -> PSError:
    return PSError(
        message,
        fqid=_CONNECT,
        category="AuthenticationError" if "Authentication" in exception else "InvalidArgument",
        exception_types=(exception,),
        command="Connect-MgGraph",
        terminating=True,
    )


def _sign_in_set(inv: Invocation) -> str:
    sets = []
    if inv.has("CertificateThumbprint") or inv.has("CertificateSubjectName") or inv.has("Certificate"):
        sets.append("certificate")
    if inv.has("ClientSecretCredential"):
        sets.append("secret")
    if inv.args.get("Identity"):
        sets.append("identity")
    if inv.has("Scopes") or inv.args.get("UseDeviceCode"):
        sets.append("user")
    if inv.has("AccessToken"):
        sets.append("token")
    if len(sets) != 1:
        raise PSError(
            "Parameter set cannot be resolved using the specified named parameters. One or more parameters issued "
            "cannot be used together or an insufficient number of parameters were provided.",
            fqid=f"AmbiguousParameterSet,{_CONNECT}",
            category="InvalidArgument",
            exception_types=("System.Management.Automation.ParameterBindingException",),
            command="Connect-MgGraph",
            terminating=True,
        )
    return sets[0]


def _tenant(inv: Invocation, emulator: Any, required: bool) -> str:
    given = inv.args.get("TenantId")
    tenant = emulator.tenant
    if given is None:
        if required:
            raise _auth_error("TenantId is required for app-only sign-in.", "System.ArgumentNullException")
        return str(tenant.tenant_id)
    if str(given).lower() not in (str(tenant.tenant_id).lower(), str(tenant.default_domain).lower()):
        raise _auth_error(
            f"AADSTS90002: Tenant '{given}' not found. Check to make sure you have the correct tenant ID and are "
            "signing into the correct cloud."
        )
    return str(tenant.tenant_id)


def _app(emulator: Any, client_id: str, flow: str) -> Any:
    app = emulator.apps.get(client_id)
    if app is None:
        raise _auth_error(
            f"{flow} authentication failed: AADSTS700016: Application with identifier '{client_id}' was not found "
            f"in the directory '{emulator.tenant.display_name}'."
        )
    return app


def _connect(inv: Invocation, _cls: Callable[[str], str]) -> Iterator[Any]:
    host: Any = inv.host
    emulator = host.emulator
    host.ensure_apps()
    environment = str(inv.args.get("Environment") or "Global")
    cloud = next((c for c in CLOUDS if c.lower() == environment.lower()), None)
    if cloud is None:
        raise _auth_error(
            f"Unable to find the requested environment '{environment}'. Use Get-MgEnvironment to list the "
            "available environments.",
            "System.Exception",
        )
    kind = _sign_in_set(inv)
    thumbprint: str | None = None
    if kind == "certificate":
        client_id = str(inv.args.get("ClientId") or "")
        thumbprint = str(inv.args.get("CertificateThumbprint") or "").replace(" ", "").upper()
        tenant_id = _tenant(inv, emulator, required=True)
        if not client_id:
            raise _auth_error("ClientId is required for certificate sign-in.", "System.ArgumentNullException")
        if thumbprint not in host.certificates:
            raise _auth_error(
                f"ClientCertificateCredential authentication failed: No certificate with thumbprint '{thumbprint}' "
                "was found in the CurrentUser or LocalMachine My certificate store."
            )
        app = _app(emulator, client_id, "ClientCertificateCredential")
        if (app.sha1_thumbprint or "").upper() != thumbprint:
            raise _auth_error(
                "ClientCertificateCredential authentication failed: AADSTS700027: The certificate with identifier "
                f"used to sign the client assertion is not registered on application '{client_id}'."
            )
        credential_type = "ClientCertificate"
    elif kind == "secret":
        tenant_id = _tenant(inv, emulator, required=True)
        credential = inv.args["ClientSecretCredential"]
        user = credential.get("UserName") if isinstance(credential, PSObj) else None
        secret = credential.get("Password") if isinstance(credential, PSObj) else None
        if not isinstance(user, str) or not isinstance(secret, SecureText):
            raise PSError(
                "Cannot bind parameter 'ClientSecretCredential'. Cannot convert the value to type "
                '"System.Management.Automation.PSCredential".',
                fqid=f"CannotConvertArgumentNoMessage,{_CONNECT}",
                category="InvalidArgument",
                exception_types=("System.Management.Automation.ParameterBindingException",),
                command="Connect-MgGraph",
                terminating=True,
            )
        client_id = user
        app = _app(emulator, client_id, "ClientSecretCredential")
        if not app.secret_matches(secret.value):
            raise _auth_error(
                "ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided. "
                "Ensure the secret being sent in the request is the client secret value, not the client secret "
                f"ID, for a secret added to app '{client_id}'."
            )
        credential_type = "ClientSecret"
    elif kind == "identity":
        tenant_id = str(emulator.tenant_id)
        client_id = str(inv.args.get("ClientId") or host.managed_identity_client_id)
        if client_id.lower() != host.managed_identity_client_id.lower():
            raise _auth_error(
                "ManagedIdentityCredential authentication failed: Identity not found "
                f"(no user-assigned identity with client id '{client_id}' on this machine)."
            )
        app = _app(emulator, client_id, "ManagedIdentityCredential")
        credential_type = "ManagedIdentity"
    else:
        raise _auth_error(
            "Interactive and delegated sign-in cannot run in a remote session without a browser; use "
            "-CertificateThumbprint, -Identity or -ClientSecretCredential.",
            "System.InvalidOperationException",
        )
    set_connection(
        inv,
        MgConnection(
            tenant_id=tenant_id,
            client_id=app.client_id,
            app_name=app.name,
            credential_type=credential_type,
            environment=cloud,
            scopes=sorted(app.permissions),
            certificate_thumbprint=thumbprint,
        ),
    )
    return iter(())


mg_cmdlet(
    "Connect-MgGraph",
    _AUTH,
    (
        Param("ClientId", aliases=("AppId", "ApplicationId")),
        Param("TenantId", aliases=("Audience", "Tenant")),
        Param("CertificateThumbprint"),
        Param("CertificateSubjectName", aliases=("CertificateSubject", "CertificateName")),
        Param("Certificate", "object"),
        Param("ClientSecretCredential", "object", aliases=("SecretCredential", "Credential")),
        Param("Identity", "switch", aliases=("ManagedIdentity", "MI")),
        Param("Environment", aliases=("EnvironmentName", "NationalCloud")),
        Param("Scopes", "strings"),
        Param("UseDeviceCode", "switch", aliases=("UseDeviceAuthentication", "DeviceCode", "DeviceAuth", "Device")),
        Param("AccessToken", "object"),
        Param("ContextScope", choices=("Process", "CurrentUser")),
        Param("ClientTimeout", "int"),
        Param("SendCertificateChain", "bool"),
        Param("NoWelcome", "switch"),
    ),
    _connect,
    binary=True,
)


def _context_object(host: Any, conn: MgConnection) -> PSObj:
    managed = conn.credential_type == "ManagedIdentity"
    props = {
        "ClientId": conn.client_id,
        "TenantId": conn.tenant_id,
        "Scopes": list(conn.scopes),
        "AuthType": "ManagedIdentity" if managed else "AppOnly",
        "TokenCredentialType": conn.credential_type,
        "CertificateThumbprint": conn.certificate_thumbprint,
        "CertificateSubjectName": None,
        "SendCertificateChain": False,
        "Account": None,
        "AppName": conn.app_name,
        "ContextScope": "Process",
        "Certificate": None,
        "PSHostVersion": host.ps_version,
        "ManagedIdentityId": None,
        "ClientSecret": None,
        "Environment": conn.environment,
    }
    name = "Microsoft.Graph.PowerShell.Authentication.AuthContext"
    return PSObj(type_names=[name, "System.Object"], props=props, text=name)


def _get_context(inv: Invocation, _cls: Callable[[str], str]) -> Iterator[Any]:
    found = inv.session.get("mggraph.connection")
    if isinstance(found, MgConnection):
        yield _context_object(inv.host, found)


mg_cmdlet("Get-MgContext", _AUTH, (), _get_context, binary=True)


def _disconnect(inv: Invocation, _cls: Callable[[str], str]) -> Iterator[Any]:
    found = inv.session.get("mggraph.connection")
    if not isinstance(found, MgConnection):
        raise PSError(
            "No application to sign out from.",
            fqid=cmdlet_class("Disconnect-MgGraph", _AUTH, None),
            category="InvalidOperation",
            exception_types=("System.Exception",),
            command="Disconnect-MgGraph",
            terminating=True,
        )
    set_connection(inv, None)
    yield _context_object(inv.host, found)


mg_cmdlet("Disconnect-MgGraph", _AUTH, (), _disconnect, binary=True)


# -- Invoke-MgGraphRequest --------------------------------------------------------------------------------------
_INVOKE = cmdlet_class("Invoke-MgGraphRequest", _AUTH, None)


def _target(conn: MgConnection, uri: str) -> str:
    split = urlsplit(uri)
    if split.scheme or split.netloc:
        root = urlsplit(conn.graph_root)
        if split.scheme.lower() != "https" or split.netloc.lower() != root.netloc:
            raise PSError(
                f"Invalid Host: '{split.netloc or uri}'. Only {conn.graph_root} is allowed in the "
                f"{conn.environment} environment.",
                fqid=f"InvalidHost,{_INVOKE}",
                category="InvalidArgument",
                exception_types=("System.ArgumentException",),
                command="Invoke-MgGraphRequest",
                terminating=True,
            )
        path = split.path + (f"?{split.query}" if split.query else "")
    else:
        path = uri if uri.startswith("/") else "/" + uri
    first = path.lstrip("/").split("/", 1)[0].split("?", 1)[0].lower()
    return path if first in ("v1.0", "beta") else "/v1.0" + path


def _plain_json(value: Any) -> Any:
    if isinstance(value, PSObj):
        return {k: _plain_json(v) for k, v in value.props.items()}
    if isinstance(value, Mapping):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _as_ps_object(value: Any) -> Any:
    if isinstance(value, dict):
        return custom_object({k: _as_ps_object(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_as_ps_object(v) for v in value]
    return value


def _invoke(inv: Invocation, _cls: Callable[[str], str]) -> Iterator[Any]:
    conn = connection(inv, _INVOKE)
    if inv.args.get("OutputFilePath") or inv.args.get("InputFilePath"):
        raise PSError(
            "Files are not available on the emulated admin host.",
            fqid=f"NotSupported,{_INVOKE}",
            category="NotImplemented",
            exception_types=("System.NotSupportedException",),
            command="Invoke-MgGraphRequest",
            terminating=True,
        )
    method = str(inv.args.get("Method") or "GET").upper()
    target = _target(conn, str(inv.args["Uri"]))
    headers = dict(inv.args.get("Headers") or {})
    body = inv.args.get("Body")
    raw: bytes | None = None
    if isinstance(body, str):
        raw = body.encode("utf-8")
    elif body is not None:
        raw = json.dumps(_plain_json(body)).encode("utf-8")
    if raw and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = str(inv.args.get("ContentType") or "application/json")
    reply = checked(call(inv, conn, method, target, raw_body=raw, headers=headers))
    output = str(inv.args.get("OutputType") or "HashTable")
    text = reply.body.decode("utf-8", "replace")
    if output == "HttpResponseMessage":
        yield custom_object({"StatusCode": reply.status, "Headers": dict(reply.headers), "Content": text})
        return
    if not text:
        return
    if output == "Json":
        yield text
        return
    try:
        parsed = json.loads(text)
    except ValueError:
        yield text
        return
    yield _as_ps_object(parsed) if output == "PSObject" else parsed


mg_cmdlet(
    "Invoke-MgGraphRequest",
    _AUTH,
    (
        Param("Uri", "object", mandatory=True, position=0),
        Param("Method", position=1, choices=("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")),
        Param("Body", "object"),
        Param("ContentType"),
        Param("Headers", "hashtable"),
        Param("OutputType", choices=("HashTable", "PSObject", "HttpResponseMessage", "Json")),
        Param("OutputFilePath", aliases=("OutFile",)),
        Param("InputFilePath", aliases=("InFile",)),
        Param("SkipHeaderValidation", "switch"),
        Param("StatusCodeVariable"),
        Param("ResponseHeadersVariable", aliases=("RHV",)),
        Param("PassThru", "switch"),
    ),
    _invoke,
    binary=True,
)
