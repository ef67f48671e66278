#!/usr/bin/env bash
# Makes the customer-style input folders read by `ccelab reproduce DIR`.
#
#   bash scenarios/field/make-inputs.sh
#
# Everything is made with the real tools: `openssl req` / `openssl ca` for an
# AD CS-style two-tier PKI (root CA, issuing CA, "Web Server" leaf), `keytool`
# (Java 17) for the Java stores, python3 for a tiny PNG.  File names are fixed;
# keys and serial numbers are random on every run (so thumbprints change), the
# outputs are committed.  Private keys and the CA databases live in a
# temporary folder that is removed on exit: a customer never sends keys.
#
# Writes (and first removes) exactly these folders:
#   scenarios/field/northwind-f1-ca-missing/input/
#   scenarios/field/northwind-f10-inventory-by-host-name/input/ (F10_ONLY=1: this one alone)
#   scenarios/field/fabrikam-f2-short-name/input/
#   scenarios/field/tailspin-f25-expired/input/
#   scenarios/field/contoso-f5-sso-not-a-global-catalog/input/ (SSO_CVP_ONLY=1: with wingtip)
#   scenarios/field/wingtip-f19-cvp-keystore/input/
#   scenarios/field/litware-f17-f18-finesse-live-data/input/ (VOS_ONLY=1: this one alone)
#   harness/tests/fixtures/reproduce/{loop,corrupt-store,wrong-password,nothing}/
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FIELD="$REPO/scenarios/field"
FIXTURES="$REPO/harness/tests/fixtures/reproduce"

STOREPASS=changeit

for tool in openssl keytool python3; do
    command -v "$tool" >/dev/null || { echo "make-inputs.sh: $tool not found" >&2; exit 1; }
done

# Public roots for the Java stores, with the aliases the JDK's own cacerts
# uses ("<name> [jdk]"); the certificates come from the system's CA bundle.
PUBLIC_ROOTS=(
    "digicertglobalrootca [jdk]|/etc/ssl/certs/DigiCert_Global_Root_CA.pem"
    "letsencryptisrgx1 [jdk]|/etc/ssl/certs/ISRG_Root_X1.pem"
    "usertrustrsaca [jdk]|/etc/ssl/certs/USERTrust_RSA_Certification_Authority.pem"
    "globalsignr46 [jdk]|/etc/ssl/certs/GlobalSign_Root_R46.pem"
)
for entry in "${PUBLIC_ROOTS[@]}"; do
    [[ -r ${entry#*|} ]] || { echo "make-inputs.sh: ${entry#*|} not readable" >&2; exit 1; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

# A 19-byte serial number as AD CS writes them (first byte 0x10..0x7F so the
# DER INTEGER stays 19 bytes and positive), in hex for openssl ca's serial file.
adcs_serial() {
    local first
    first=$(( 0x10 + $(od -An -N1 -tu1 /dev/urandom) % 0x70 ))
    printf '%02X%s\n' "$first" "$(openssl rand -hex 18 | tr 'a-f' 'A-F')"
}

# "Northwind Issuing CA 01" -> "Northwind%20Issuing%20CA%2001" (AD CS encodes
# the spaces of <CaName> in its CDP and AIA URLs).
urlenc() { printf '%s' "${1// /%20}"; }

# Upper-case hex SHA-1 thumbprint without colons, as Windows shows it and as
# IIS stores it in certificateHash.
thumbprint() {
    openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g'
}

# Converts LF line endings to CRLF (files written by Windows tools).
to_crlf() { sed 's/\r*$/\r/' "$1" > "$1.crlf" && mv "$1.crlf" "$1"; }

# Minimal `openssl req` config: only -subj decides the subject, nothing is
# added to the CSR except what -addext asks for.
REQ_CNF="$WORK/req.cnf"
cat > "$REQ_CNF" <<'EOF'
[ req ]
distinguished_name = req_dn
string_mask        = utf8only
prompt             = no
[ req_dn ]
EOF

# Writes the temporary `openssl ca` config of one case's PKI: one database
# (index.txt, serial) shared by the root and the issuing CA, a policy that
# keeps the request's DN as it is (preserve = yes), and the extension
# sections of the three certificates.
#   write_ca_cnf DIR ROOT_NAME ROOT_HOST ISS_NAME ISS_HOST AD_DN DNS_DOMAIN PKI_HOST LEAF_SAN
write_ca_cnf() {
    local dir=$1 root_name=$2 root_host=$3 iss_name=$4 iss_host=$5
    local ad_dn=$6 dns_domain=$7 pki_host=$8 leaf_san=$9
    local root_enc iss_enc
    root_enc=$(urlenc "$root_name")
    iss_enc=$(urlenc "$iss_name")
    mkdir -p "$dir/newcerts"
    : > "$dir/index.txt"
    cat > "$dir/ca.cnf" <<EOF
[ ca ]
default_ca = adcs

[ adcs ]
database        = $dir/index.txt
new_certs_dir   = $dir/newcerts
serial          = $dir/serial
default_md      = sha256
policy          = policy_any
preserve        = yes
unique_subject  = no
email_in_dn     = no
copy_extensions = none
name_opt        = ca_default
cert_opt        = ca_default

[ policy_any ]
domainComponent        = optional
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied

# Root CA: self-signed, with Microsoft's "CA Version" extension (V0.0).
[ v3_root ]
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
basicConstraints       = critical, CA:TRUE
subjectKeyIdentifier   = hash
1.3.6.1.4.1.311.21.1   = DER:02:01:00

# Issuing CA, signed by the root: the root's CRL (LDAP in AD CS's form, then
# HTTP, in one distribution point) and the root's certificate (AIA).  Like
# AD CS it also carries "CA Version" and the "SubCA" template name.
[ v3_issuing ]
1.3.6.1.4.1.311.20.2   = ASN1:BMPSTRING:SubCA
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
basicConstraints       = critical, CA:TRUE, pathlen:0
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
crlDistributionPoints  = dp_root
authorityInfoAccess    = @aia_root
1.3.6.1.4.1.311.21.1   = DER:02:01:00

# One distribution point whose full name lists both URLs, as AD CS writes it.
[ dp_root ]
fullname = @cdp_root

[ cdp_root ]
URI.0 = ldap:///CN=$root_enc,CN=$root_host,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,$ad_dn?certificateRevocationList?base?objectClass=cRLDistributionPoint
URI.1 = http://$pki_host/CertEnroll/$root_enc.crl

[ aia_root ]
caIssuers;URI.0 = http://$pki_host/CertEnroll/$root_host.${dns_domain}_$root_enc.crt

# Web server leaf, as AD CS's "Web Server" (v1) template issues it.
[ v3_web ]
1.3.6.1.4.1.311.20.2   = ASN1:BMPSTRING:WebServer
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = $leaf_san
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
crlDistributionPoints  = dp_issuing
authorityInfoAccess    = @aia_issuing

# One distribution point whose full name lists both URLs, as AD CS writes it.
[ dp_issuing ]
fullname = @cdp_issuing

[ cdp_issuing ]
URI.0 = ldap:///CN=$iss_enc,CN=$iss_host,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,$ad_dn?certificateRevocationList?base?objectClass=cRLDistributionPoint
URI.1 = http://$pki_host/CertEnroll/$iss_enc.crl

[ aia_issuing ]
caIssuers;URI.0 = http://$pki_host/CertEnroll/$iss_host.${dns_domain}_$iss_enc.crt
EOF
}

# Signs one CSR with `openssl ca`, a fresh 19-byte serial and fixed dates.
#   ca_sign DIR CSR OUT EXTENSIONS STARTDATE ENDDATE [openssl ca options...]
ca_sign() {
    local dir=$1 csr=$2 out=$3 ext=$4 start=$5 end=$6
    shift 6
    adcs_serial > "$dir/serial"
    openssl ca -batch -notext -config "$dir/ca.cnf" -extensions "$ext" \
        -startdate "$start" -enddate "$end" -in "$csr" -out "$out" "$@" 2>"$dir/ca.log" \
        || { cat "$dir/ca.log" >&2; return 1; }
}

# Builds a case's PKI in DIR: root.pem, issuing.pem, leaf.pem (and keys).
#   make_pki DIR ROOT_SUBJ ROOT_NAME ROOT_HOST ISS_SUBJ ISS_NAME ISS_HOST \
#            AD_DN DNS_DOMAIN PKI_HOST LEAF_SUBJ LEAF_SAN LEAF_START LEAF_END
make_pki() {
    local dir=$1 root_subj=$2 root_name=$3 root_host=$4 iss_subj=$5 iss_name=$6 iss_host=$7
    local ad_dn=$8 dns_domain=$9 pki_host=${10} leaf_subj=${11} leaf_san=${12}
    local leaf_start=${13} leaf_end=${14}
    mkdir -p "$dir"
    write_ca_cnf "$dir" "$root_name" "$root_host" "$iss_name" "$iss_host" \
        "$ad_dn" "$dns_domain" "$pki_host" "$leaf_san"

    # 1. Root CA: RSA 4096 key and CSR, then self-signed by `openssl ca
    #    -selfsign` so that -startdate/-enddate fix its validity
    #    (2021-01-01 to 2041-01-01).
    openssl req -new -config "$REQ_CNF" -newkey rsa:4096 -nodes -keyout "$dir/root.key" \
        -subj "$root_subj" -out "$dir/root.csr" 2>/dev/null
    ca_sign "$dir" "$dir/root.csr" "$dir/root.pem" v3_root 20210101000000Z 20410101000000Z \
        -selfsign -keyfile "$dir/root.key"

    # 2. Issuing CA: RSA 4096, signed by the root (2021-01-02 to 2031-01-02).
    openssl req -new -config "$REQ_CNF" -newkey rsa:4096 -nodes -keyout "$dir/issuing.key" \
        -subj "$iss_subj" -out "$dir/issuing.csr" 2>/dev/null
    ca_sign "$dir" "$dir/issuing.csr" "$dir/issuing.pem" v3_issuing 20210102000000Z 20310102000000Z \
        -cert "$dir/root.pem" -keyfile "$dir/root.key"

    # 3. Web server leaf: the CSR the ECE web server's admin made (RSA 2048,
    #    with the SAN requested), issued by the issuing CA with the "Web
    #    Server" template's extensions; the SAN comes from the template
    #    section (copy_extensions = none), as the CA decides.
    openssl req -new -config "$REQ_CNF" -newkey rsa:2048 -nodes -keyout "$dir/leaf.key" \
        -subj "$leaf_subj" -addext "subjectAltName = $leaf_san" -out "$dir/leaf.csr" 2>/dev/null
    ca_sign "$dir" "$dir/leaf.csr" "$dir/leaf.pem" v3_web "$leaf_start" "$leaf_end" \
        -cert "$dir/issuing.pem" -keyfile "$dir/issuing.key"
}

# Creates a Java store with keytool holding the public roots plus the given
# extra "alias|file" entries.
#   make_store STORE TYPE PASSWORD [alias|file ...]
make_store() {
    local store=$1 type=$2 pass=$3
    shift 3
    rm -f "$store"
    local entry
    for entry in "${PUBLIC_ROOTS[@]}" "$@"; do
        keytool -importcert -noprompt -alias "${entry%%|*}" -file "${entry#*|}" \
            -keystore "$store" -storetype "$type" -storepass "$pass" 2>&1 \
            | sed "s|^|  keytool ($(basename "$store"), ${entry%%|*}): |"
    done
}

# IIS 10's C:\Windows\System32\inetsrv\config\applicationHost.config with
# Default Web Site bound to http *:80 and https *:443 (the certificate by its
# SHA-1 thumbprint in the computer's "My" store), around it the usual
# sections of a Windows Server 2019 web server with URL Rewrite.  CRLF, as
# IIS writes it.
#   write_apphost FILE THUMBPRINT
write_apphost() {
    cat > "$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!--

    IIS configuration sections.

    For schema documentation, see
    %windir%\system32\inetsrv\config\schema\IIS_schema.xml.

    Please make a backup of this file before making any changes to it.

-->

<configuration>

    <!--

        The <configSections> section controls the registration of sections.
        Section is the basic unit of deployment, locking, searching and
        containment for configuration settings.

    -->

    <configSections>
        <sectionGroup name="system.applicationHost">
            <section name="applicationPools" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="configHistory" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="customMetadata" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="listenerAdapters" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="log" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="serviceAutoStartProviders" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="webLimits" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
        </sectionGroup>

        <sectionGroup name="system.webServer">
            <section name="asp" overrideModeDefault="Deny" />
            <section name="caching" overrideModeDefault="Allow" />
            <section name="defaultDocument" overrideModeDefault="Allow" />
            <section name="directoryBrowse" overrideModeDefault="Allow" />
            <section name="globalModules" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="handlers" overrideModeDefault="Deny" />
            <section name="httpCompression" overrideModeDefault="Allow" allowDefinition="AppHostOnly" />
            <section name="httpErrors" overrideModeDefault="Allow" />
            <section name="httpLogging" overrideModeDefault="Deny" />
            <section name="httpProtocol" overrideModeDefault="Allow" />
            <section name="httpRedirect" overrideModeDefault="Allow" />
            <section name="modules" allowDefinition="MachineToApplication" overrideModeDefault="Deny" />
            <sectionGroup name="rewrite">
                <section name="globalRules" overrideModeDefault="Deny" allowDefinition="AppHostOnly" />
                <section name="rules" overrideModeDefault="Allow" />
                <section name="outboundRules" overrideModeDefault="Allow" />
                <section name="providers" overrideModeDefault="Allow" />
                <section name="rewriteMaps" overrideModeDefault="Allow" />
                <section name="allowedServerVariables" overrideModeDefault="Deny" />
            </sectionGroup>
            <sectionGroup name="security">
                <section name="access" overrideModeDefault="Deny" />
                <sectionGroup name="authentication">
                    <section name="anonymousAuthentication" overrideModeDefault="Deny" />
                    <section name="windowsAuthentication" overrideModeDefault="Deny" />
                </sectionGroup>
                <section name="requestFiltering" overrideModeDefault="Allow" />
            </sectionGroup>
            <section name="staticContent" overrideModeDefault="Allow" />
            <section name="urlCompression" overrideModeDefault="Allow" />
        </sectionGroup>
    </configSections>

    <configProtectedData>
        <providers>
            <add name="IISWASOnlyRsaProvider" type="" description="Uses RsaCryptoServiceProvider to encrypt and decrypt" keyContainerName="iisWasKey" cspProviderName="" useMachineContainer="true" useOAEP="false" />
            <add name="IISCngProvider" type="Microsoft.ApplicationHost.CngProtectedConfigurationProvider" description="Uses Win32 Crypto CNG to encrypt and decrypt" keyContainerName="iisCngConfigurationKey" useMachineContainer="true" />
            <add name="IISWASOnlyCngProvider" type="Microsoft.ApplicationHost.CngProtectedConfigurationProvider" description="(WAS Only) Uses Win32 Crypto CNG to encrypt and decrypt" keyContainerName="iisCngWasKey" useMachineContainer="true" />
        </providers>
    </configProtectedData>

    <system.applicationHost>

        <applicationPools>
            <add name="DefaultAppPool" />
            <add name=".NET v4.5 Classic" managedRuntimeVersion="v4.0" managedPipelineMode="Classic" />
            <add name=".NET v4.5" managedRuntimeVersion="v4.0" />
            <applicationPoolDefaults managedRuntimeVersion="v4.0">
                <processModel identityType="ApplicationPoolIdentity" loadUserProfile="true" setProfileEnvironment="false" />
            </applicationPoolDefaults>
        </applicationPools>

        <!--

          The <customMetadata> section is used internally by the Admin Base Objects
          (ABO) Compatibility component. Please do not modify its content.

        -->
        <customMetadata />

        <!--

          The <listenerAdapters> section defines the protocols with which the
          Windows Process Activation Service (WAS) binds.

        -->
        <listenerAdapters>
            <add name="http" />
        </listenerAdapters>

        <log>
            <centralBinaryLogFile enabled="true" directory="%SystemDrive%\inetpub\logs\LogFiles" />
            <centralW3CLogFile enabled="true" directory="%SystemDrive%\inetpub\logs\LogFiles" />
        </log>

        <sites>
            <site name="Default Web Site" id="1">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:" />
                    <binding protocol="https" bindingInformation="*:443:" sslFlags="0" certificateHash="$2" certificateStoreName="My" />
                </bindings>
            </site>
            <siteDefaults>
                <logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" />
                <traceFailedRequestsLogging directory="%SystemDrive%\inetpub\logs\FailedReqLogFiles" />
            </siteDefaults>
            <applicationDefaults applicationPool="DefaultAppPool" />
            <virtualDirectoryDefaults allowSubDirConfig="true" />
        </sites>

        <webLimits />

    </system.applicationHost>

    <system.webServer>

        <asp />

        <caching enabled="true" enableKernelCache="true">
        </caching>

        <defaultDocument enabled="true">
            <files>
                <add value="Default.htm" />
                <add value="Default.asp" />
                <add value="index.htm" />
                <add value="index.html" />
                <add value="iisstart.htm" />
            </files>
        </defaultDocument>

        <directoryBrowse enabled="false" />

        <globalModules>
            <add name="HttpLoggingModule" image="%windir%\System32\inetsrv\loghttp.dll" />
            <add name="UriCacheModule" image="%windir%\System32\inetsrv\cachuri.dll" />
            <add name="FileCacheModule" image="%windir%\System32\inetsrv\cachfile.dll" />
            <add name="TokenCacheModule" image="%windir%\System32\inetsrv\cachtokn.dll" />
            <add name="HttpCacheModule" image="%windir%\System32\inetsrv\cachhttp.dll" />
            <add name="StaticCompressionModule" image="%windir%\System32\inetsrv\compstat.dll" />
            <add name="DefaultDocumentModule" image="%windir%\System32\inetsrv\defdoc.dll" />
            <add name="DirectoryListingModule" image="%windir%\System32\inetsrv\dirlist.dll" />
            <add name="ProtocolSupportModule" image="%windir%\System32\inetsrv\protsup.dll" />
            <add name="HttpRedirectionModule" image="%windir%\System32\inetsrv\redirect.dll" />
            <add name="StaticFileModule" image="%windir%\System32\inetsrv\static.dll" />
            <add name="AnonymousAuthenticationModule" image="%windir%\System32\inetsrv\authanon.dll" />
            <add name="WindowsAuthenticationModule" image="%windir%\System32\inetsrv\authsspi.dll" />
            <add name="RequestFilteringModule" image="%windir%\System32\inetsrv\modrqflt.dll" />
            <add name="CustomErrorModule" image="%windir%\System32\inetsrv\custerr.dll" />
            <add name="RewriteModule" image="%SystemRoot%\system32\inetsrv\rewrite.dll" />
        </globalModules>

        <handlers accessPolicy="Read, Script">
            <add name="OPTIONSVerbHandler" path="*" verb="OPTIONS" modules="ProtocolSupportModule" requireAccess="None" />
            <add name="TRACEVerbHandler" path="*" verb="TRACE" modules="ProtocolSupportModule" requireAccess="None" />
            <add name="StaticFile" path="*" verb="*" modules="StaticFileModule,DefaultDocumentModule,DirectoryListingModule" resourceType="Either" requireAccess="Read" />
        </handlers>

        <httpLogging dontLog="false" />

        <httpProtocol>
            <customHeaders>
                <clear />
                <add name="X-Powered-By" value="ASP.NET" />
            </customHeaders>
            <redirectHeaders>
                <clear />
            </redirectHeaders>
        </httpProtocol>

        <modules>
            <add name="HttpLoggingModule" lockItem="true" />
            <add name="HttpCacheModule" lockItem="true" />
            <add name="StaticCompressionModule" lockItem="true" />
            <add name="DefaultDocumentModule" lockItem="true" />
            <add name="DirectoryListingModule" lockItem="true" />
            <add name="ProtocolSupportModule" lockItem="true" />
            <add name="HttpRedirectionModule" lockItem="true" />
            <add name="StaticFileModule" lockItem="true" />
            <add name="AnonymousAuthenticationModule" lockItem="true" />
            <add name="WindowsAuthenticationModule" lockItem="true" />
            <add name="RequestFilteringModule" lockItem="true" />
            <add name="CustomErrorModule" lockItem="true" />
            <add name="RewriteModule" />
        </modules>

        <rewrite>
            <globalRules>
            </globalRules>
            <allowedServerVariables>
            </allowedServerVariables>
        </rewrite>

        <security>
            <access sslFlags="None" />
            <authentication>
                <anonymousAuthentication enabled="true" userName="IUSR" />
                <windowsAuthentication enabled="false" />
            </authentication>
            <requestFiltering>
                <fileExtensions allowUnlisted="true" applyToWebDAV="true">
                    <add fileExtension=".config" allowed="false" />
                    <add fileExtension=".cs" allowed="false" />
                    <add fileExtension=".mdb" allowed="false" />
                </fileExtensions>
                <requestLimits maxAllowedContentLength="30000000" maxUrl="4096" maxQueryString="2048" />
            </requestFiltering>
        </security>

        <staticContent lang="en-US">
            <mimeMap fileExtension=".css" mimeType="text/css" />
            <mimeMap fileExtension=".htm" mimeType="text/html" />
            <mimeMap fileExtension=".html" mimeType="text/html" />
            <mimeMap fileExtension=".js" mimeType="application/javascript" />
            <mimeMap fileExtension=".json" mimeType="application/json" />
            <mimeMap fileExtension=".png" mimeType="image/png" />
            <mimeMap fileExtension=".svg" mimeType="image/svg+xml" />
            <mimeMap fileExtension=".woff" mimeType="font/x-woff" />
        </staticContent>

        <urlCompression />

    </system.webServer>

    <location path="" overrideMode="Allow">
        <system.webServer>
            <modules>
                <add name="RewriteModule" />
            </modules>
        </system.webServer>
    </location>

</configuration>
EOF
    to_crlf "$1"
}

# ECE's spog_config.js (the web server name SPOG's gadget is loaded from).
#   write_spog FILE FQDN
write_spog() {
    cat > "$1" <<EOF
// Web server used by the Unified CCE Administration (SPOG) Email and Chat gadget
var web_server_protocol = "https";
var web_server_name = "$2";
EOF
}

# A tiny valid PNG (16x16 grey), the "screenshot" customers attach.  The
# same bytes on every run.
write_png() {
    python3 - "$1" <<'EOF'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
w = h = 16
rows = b"".join(b"\x00" + b"\xc0\xc0\xc0" * w for _ in range(h))
png = (b"\x89PNG\r\n\x1a\n"
       + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows, 9))
       + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
EOF
}

# ---------------------------------------------------------------------------
# Case 1b: Northwind again, F10: the CAs now imported (the F1 case fixed),
# but the inventory has the web server by its host name `ece`.  Made from
# the F1 case's public files only, so it can be made again on its own:
#   F10_ONLY=1 bash scenarios/field/make-inputs.sh
# ---------------------------------------------------------------------------
make_f10() {
    echo "== northwind-f10-inventory-by-host-name"
    local from="$FIELD/northwind-f1-ca-missing/input"
    local out="$FIELD/northwind-f10-inventory-by-host-name/input"
    local tmp="$WORK/f10"
    rm -rf "$out" "$tmp" && mkdir -p "$out" "$tmp"
    cp "$from/ece-web.cer" "$from/certnew.p7b" "$from/applicationHost.config" \
        "$from/spog_config.js" "$out/"
    # the root and issuing CA from AD CS's bundle, imported as [ECE] 4.1 says
    openssl pkcs7 -inform DER -in "$from/certnew.p7b" -print_certs -out "$tmp/all.pem"
    awk -v dir="$tmp" '/BEGIN CERTIFICATE/{n++} n > 0 {print > (dir "/c" n ".pem")}' "$tmp/all.pem"
    local c root="" issuing=""
    for c in "$tmp"/c*.pem; do
        case "$(openssl x509 -in "$c" -noout -subject -nameopt RFC2253)" in
            *"CN=Northwind Root CA"*) root=$c ;;
            *"CN=Northwind Issuing CA 01"*) issuing=$c ;;
        esac
    done
    make_store "$out/cacerts" JKS "$STOREPASS" \
        "northwind root ca|$root" "northwind issuing ca 01|$issuing"
    # the inventory as CCE Administration's REST API lists it
    # (GET /unifiedconfig/config/machineinventory, as saved by a browser)
    cat > "$out/machineinventory.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8" standalone="yes"?><results><pageInfo><firstPage>https://adsa.corp.northwind.test/unifiedconfig/config/machineinventory?startIndex=0&amp;resultsPerPage=25</firstPage><lastPage>https://adsa.corp.northwind.test/unifiedconfig/config/machineinventory?startIndex=0&amp;resultsPerPage=25</lastPage><resultsPerPage>25</resultsPerPage><startIndex>0</startIndex><totalResults>2</totalResults></pageInfo><machines><machine><changeStamp>0</changeStamp><refURL>/unifiedconfig/config/machineinventory/5000</refURL><name>ADSA</name><type>AW</type><hostName>adsa.corp.northwind.test</hostName><networks><network><type>PUBLIC</type><address>adsa.corp.northwind.test</address></network></networks></machine><machine><changeStamp>1</changeStamp><refURL>/unifiedconfig/config/machineinventory/5001</refURL><name>ece</name><type>ECE_WEB_SERVER</type><hostName>ece.corp.northwind.test</hostName><networks><network><type>PUBLIC</type><address>ece</address><services><service><type>MACHINE_INFO</type><userName>pa</userName></service></services></network></networks></machine></machines></results>
EOF
}
# Contoso: ECE's partition-administrator SSO pointed at the DC's own LDAP
# port with a Base (F5), as the customer copied the Partition
# Administration Configuration screen ([ECE] 2.2's labels); the password
# field shows what the screen shows (dots), never the password.
make_contoso() {
    echo "== contoso-f5-sso-not-a-global-catalog"
    local out="$FIELD/contoso-f5-sso-not-a-global-catalog/input"
    rm -rf "$out" && mkdir -p "$out"
    printf '%s\r\n' \
        "ECE 12.5 - Administration > Partition: default > Security > SSO and Provisioning > Partition Administration Configuration" \
        "" \
        "LDAP URL*: ldap://dc01.corp.contoso.test:389" \
        "DN Attribute*: userPrincipalName" \
        "Base: DC=corp,DC=contoso,DC=test" \
        "DN for LDAP Search: CN=svc-ece-ldap,OU=Service Accounts,DC=corp,DC=contoso,DC=test" \
        "Password: ●●●●●●●●●●" \
        "Enable SSL on LDAP: No" \
        "Keystore Location:" > "$out/partition-admin-config.txt"
}

# Wingtip: a CVP call server's .keystore (JCEKS, made by keytool as the
# installer does: the call server's own key pair) into which the principal
# AW's certificate was never imported (F19), with its security.properties.
make_wingtip() {
    echo "== wingtip-f19-cvp-keystore"
    local out="$FIELD/wingtip-f19-cvp-keystore/input"
    local pw='Wt7#cvp2025!Keystore'
    rm -rf "$out" && mkdir -p "$out"
    keytool -genkeypair -keystore "$out/.keystore" -storetype JCEKS \
        -storepass "$pw" -keypass "$pw" -alias callserver_certificate \
        -keyalg RSA -keysize 2048 -validity 3650 -startdate 2025/11/03 \
        -dname "CN=cvp01.corp.wingtip.test, OU=Contact Center, O=Wingtip Toys, L=Seattle, ST=WA, C=US" 2>/dev/null
    keytool -genkeypair -keystore "$out/.keystore" -storetype JCEKS \
        -storepass "$pw" -keypass "$pw" -alias vxml_certificate \
        -keyalg RSA -keysize 2048 -validity 3650 -startdate 2025/11/03 \
        -dname "CN=cvp01.corp.wingtip.test, OU=Contact Center, O=Wingtip Toys, L=Seattle, ST=WA, C=US" 2>/dev/null
    printf '%s\r\n' "#Mon Nov 03 10:12:44 PST 2025" "Security.keystorePW = $pw" \
        > "$out/security.properties"
}


# Prints a certificate (PEM, $1) as a VOS appliance's admin CLI prints it
# (`show cert own tomcat`, `show cert trust …`): the RSA BSAFE
# X509Certificate text of docs/research/vos-cli.md §2c, its dates in the
# server's time zone ($2, e.g. America/Los_Angeles), the key identifiers as
# `keyID:` lines as the research's capture shows them.
vos_dump() {
    python3 - "$1" "$2" <<'EOF'
import sys, zoneinfo
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID, ExtensionOID
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
tz = zoneinfo.ZoneInfo(sys.argv[2])
short = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
         NameOID.ORGANIZATION_NAME: "O", NameOID.LOCALITY_NAME: "L",
         NameOID.STATE_OR_PROVINCE_NAME: "ST", NameOID.COUNTRY_NAME: "C",
         NameOID.DOMAIN_COMPONENT: "DC"}
def name(n):
    return ", ".join(f"{short[a.oid]}={a.value}" for a in reversed(list(n)))
def date(d):
    return d.astimezone(tz).strftime("%a %b %d %H:%M:%S %Z %Y")
sig = {"1.2.840.113549.1.1.11": "SHA256withRSA", "1.2.840.113549.1.1.12": "SHA384withRSA",
       "1.2.840.113549.1.1.5": "SHA1withRSA"}[cert.signature_algorithm_oid.dotted_string]
out = ["[", "  Version: V3",
       f"  Serial Number: {cert.serial_number:X}",
       f"  SignatureAlgorithm: {sig} ({cert.signature_algorithm_oid.dotted_string})",
       f"  Issuer Name: {name(cert.issuer)}",
       f"  Validity From: {date(cert.not_valid_before_utc)}",
       f"           To:   {date(cert.not_valid_after_utc)}",
       f"  Subject Name: {name(cert.subject)}",
       "  Key: RSA (1.2.840.113549.1.1.1)",
       "    Key value: " + cert.public_key().public_bytes(
           serialization.Encoding.DER, serialization.PublicFormat.PKCS1).hex(),
       f"  Extensions: {len(cert.extensions)} present"]
names = {"2.5.29.15": "KeyUsage", "2.5.29.37": "ExtKeyUsageSyntax", "2.5.29.17": "SubjectAltName",
         "2.5.29.19": "BasicConstraints", "2.5.29.14": "SubjectKeyIdentifier",
         "2.5.29.35": "AuthorityKeyIdentifier"}
usages = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
          "key_agreement", "key_cert_sign", "crl_sign"]
java = ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
        "keyAgreement", "keyCertSign", "cRLSign"]
for e in cert.extensions:
    oid = e.oid.dotted_string
    out += ["  [ ", f"     Extension: {names.get(oid, 'Extension')} (OID.{oid})",
            f"     Critical: {'true' if e.critical else 'false'}"]
    v = e.value
    if oid == "2.5.29.15":
        out.append("     Usages: " + "".join(f"{j}, " for u, j in zip(usages, java) if getattr(v, u)))
    elif oid == "2.5.29.37":
        out.append("     Usage oids: " + "".join(f"{o.dotted_string}, " for o in v))
    elif oid == "2.5.29.17":
        dns = v.get_values_for_type(x509.DNSName)
        out.append(f"        altNames: {len(dns)} names")
        out += [f"          {i}) {d} (dNSName)" for i, d in enumerate(dns, 1)]
    elif oid == "2.5.29.19":
        out.append(f"     cA: {'true' if v.ca else 'false'}")
    elif oid == "2.5.29.14":
        out.append(f"     keyID: {v.digest.hex()}")
    elif oid == "2.5.29.35":
        out.append(f"     keyID: {v.key_identifier.hex()}")
    else:
        out.append(f"     Value: {v.public_bytes().hex()}")
    out.append("  ]")
out += ["", "  Signature: "]
s = cert.signature
for i in range(0, len(s), 16):
    row = s[i:i + 16]
    asc = "".join(chr(b) if 0x20 <= b < 0x7f else "." for b in row)
    out.append(f"  {i:04x}: {' '.join(f'{b:02x}' for b in row):<47} [{asc}]")
out.append("]")
sys.stdout.write("\r\n".join(out) + "\r\n")
EOF
}

# A VOS-style self-signed tomcat certificate (the key stays in $WORK), made
# with `openssl ca -selfsign` for fixed dates:
#   vos_selfsigned DIR NAME SUBJECT SAN START END
vos_selfsigned() {
    local dir=$1 name=$2 subj=$3 san=$4 start=$5 end=$6
    mkdir -p "$dir/db-$name"
    : > "$dir/db-$name/index.txt"
    openssl rand -hex 16 | tr a-f A-F > "$dir/db-$name/serial"
    cat > "$dir/$name.cnf" <<EOF
[ca]
default_ca = vos
[vos]
database = $dir/db-$name/index.txt
serial = $dir/db-$name/serial
new_certs_dir = $dir/db-$name
default_md = sha256
policy = any
preserve = yes
unique_subject = no
[any]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[tomcat]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment, dataEncipherment, keyAgreement
extendedKeyUsage = serverAuth, clientAuth, 1.3.6.1.5.5.7.3.5
subjectAltName = $san
subjectKeyIdentifier = hash
EOF
    openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/$name.key" \
        -subj "$subj" -out "$dir/$name.csr" -config "$dir/req.cnf" 2>/dev/null
    openssl ca -batch -notext -selfsign -config "$dir/$name.cnf" -extensions tomcat \
        -keyfile "$dir/$name.key" -in "$dir/$name.csr" -out "$dir/$name.pem" \
        -startdate "$start" -enddate "$end" 2>/dev/null
}

# Litware: Finesse and CUIC on VOS, as the customer's admin captured them
# over SSH (PuTTY logs, CRLF): Finesse's primary fin01 trusts its own and
# the secondary's certificates and IdS's, but CUIC's publisher's was never
# uploaded to its tomcat-trust (F18: the Live Data gadget does not load);
# the secondary's certificate was made for its host name `fin02` while the
# inventory has fin02.corp.litware.test (F17), though it is in the AW's cacerts.
make_litware() {
    echo "== litware-f17-f18-finesse-live-data"
    local out="$FIELD/litware-f17-f18-finesse-live-data/input"
    local tmp="$WORK/litware"
    rm -rf "$out" "$tmp" && mkdir -p "$out" "$tmp"
    printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n' > "$tmp/req.cnf"
    local org="/C=US/ST=WA/L=Redmond/O=Litware Inc/OU=Contact Center"
    vos_selfsigned "$tmp" fin01 "$org/CN=fin01.corp.litware.test" \
        "DNS:fin01.corp.litware.test" 20250915170412Z 20300914170412Z
    vos_selfsigned "$tmp" fin02 "$org/CN=fin02" "DNS:fin02" 20250915173055Z 20300914173055Z
    vos_selfsigned "$tmp" cuic01 "$org/CN=cuic01.corp.litware.test" \
        "DNS:cuic01.corp.litware.test" 20250916090233Z 20300915090233Z
    vos_selfsigned "$tmp" ids01 "$org/CN=ids01.corp.litware.test" \
        "DNS:ids01.corp.litware.test" 20250916101500Z 20300915101500Z
    local nl=$'\r'
    # fin01's session: its own certificate and its tomcat-trust
    {
        printf 'Command Line Interface is starting up, please wait ...\r\n\r\n   Welcome to the Platform Command Line Interface\r\n\r\n'
        printf 'admin:show cert list own\r\n'
        printf 'tomcat/tomcat.pem: Self-signed certificate generated by system\r\n'
        printf 'ipsec/ipsec.pem: Self-signed certificate generated by system\r\n'
        printf 'admin:show cert own tomcat\r\n\r\n'
        vos_dump "$tmp/fin01.pem" America/Los_Angeles
        printf 'admin:show cert list trust\r\n'
        printf 'tomcat-trust/fin01.corp.litware.test.pem: Self-signed certificate generated by system\r\n'
        printf 'tomcat-trust/fin02.pem: Trust Certificate\r\n'
        printf 'tomcat-trust/ids01.corp.litware.test.pem: Trust Certificate\r\n'
        printf 'ipsec-trust/fin01.corp.litware.test.pem: Self-signed certificate generated by system\r\n'
        printf 'admin:'
    } > "$out/putty-fin01.log"
    # fin02's session: its own certificate only
    {
        printf 'admin:show cert own tomcat\r\n\r\n'
        vos_dump "$tmp/fin02.pem" America/Los_Angeles
        printf 'admin:'
    } > "$out/putty-fin02.log"
    # CUIC's publisher: its own certificate, dumped in PDT
    {
        printf 'admin:show cert own tomcat\r\n\r\n'
        vos_dump "$tmp/cuic01.pem" America/Los_Angeles
        printf 'admin:exit\r\n'
    } > "$out/cuic01-show-cert.txt"
    # IdS's certificate as downloaded from its cmplatform (Download .PEM File)
    cp "$tmp/ids01.pem" "$out/ids01.corp.litware.test.pem"
    # ADS side A's cacerts: the Finesse nodes' and IdS's certificates
    # imported by FQDN as [SEC] says (fin02's too, though it names fin02)
    make_store "$out/cacerts" JKS "$STOREPASS" \
        "fin01.corp.litware.test|$tmp/fin01.pem" "fin02.corp.litware.test|$tmp/fin02.pem" \
        "ids01.corp.litware.test|$tmp/ids01.pem"
    cat > "$out/machineinventory.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8" standalone="yes"?><results><pageInfo><resultsPerPage>25</resultsPerPage><startIndex>0</startIndex><totalResults>3</totalResults></pageInfo><machines><machine><changeStamp>0</changeStamp><refURL>/unifiedconfig/config/machineinventory/5000</refURL><name>ADSA</name><type>AW</type><hostName>adsa.corp.litware.test</hostName><networks><network><type>PUBLIC</type><address>adsa.corp.litware.test</address></network></networks></machine><machine><changeStamp>2</changeStamp><refURL>/unifiedconfig/config/machineinventory/5010</refURL><name>fin01</name><type>FINESSE</type><hostName>fin01.corp.litware.test</hostName><networks><network><type>PUBLIC</type><address>fin01.corp.litware.test</address></network></networks></machine><machine><changeStamp>2</changeStamp><refURL>/unifiedconfig/config/machineinventory/5011</refURL><name>fin02</name><type>FINESSE</type><hostName>fin02.corp.litware.test</hostName><networks><network><type>PUBLIC</type><address>fin02.corp.litware.test</address></network></networks></machine></machines></results>
EOF
}
if [[ ${VOS_ONLY:-} == 1 ]]; then
    make_litware
    exit 0
fi
if [[ ${SSO_CVP_ONLY:-} == 1 ]]; then
    make_contoso
    make_wingtip
    exit 0
fi
if [[ ${F10_ONLY:-} == 1 ]]; then
    make_f10
    exit 0
fi

# ---------------------------------------------------------------------------
# Case 1: Northwind Traders, F1: the AD CS CAs are not in ADS side A's cacerts
# ---------------------------------------------------------------------------
echo "== northwind-f1-ca-missing"
NW="$WORK/northwind"
OUT="$FIELD/northwind-f1-ca-missing/input"
rm -rf "$OUT" && mkdir -p "$OUT"
make_pki "$NW" \
    "/DC=test/DC=northwind/DC=corp/CN=Northwind Root CA" "Northwind Root CA" NWROOTCA \
    "/DC=test/DC=northwind/DC=corp/CN=Northwind Issuing CA 01" "Northwind Issuing CA 01" NWPKI01 \
    "DC=corp,DC=northwind,DC=test" corp.northwind.test pki.corp.northwind.test \
    "/C=US/ST=Washington/L=Seattle/O=Northwind Traders/OU=Contact Center/CN=ece.corp.northwind.test" \
    "DNS:ece.corp.northwind.test" 20260110000000Z 20280110000000Z

# The leaf as Windows' "DER encoded binary X.509 (.CER)" export.
openssl x509 -in "$NW/leaf.pem" -outform DER -out "$OUT/ece-web.cer"
# certnew.p7b: what AD CS's web enrollment hands out with "include all
# certificates in the certification path": DER PKCS#7, certificates only.
openssl crl2pkcs7 -nocrl -certfile "$NW/leaf.pem" -certfile "$NW/issuing.pem" \
    -certfile "$NW/root.pem" -outform DER -out "$OUT/certnew.p7b"
# ADS side A's cacerts: JKS with the JDK's public roots only (F1: nobody
# imported the Northwind root and issuing CA).
make_store "$OUT/cacerts" JKS "$STOREPASS"
write_apphost "$OUT/applicationHost.config" "$(thumbprint "$NW/leaf.pem")"
write_spog "$OUT/spog_config.js" ece.corp.northwind.test
# The customer's own note (Notepad, CRLF).
cat > "$OUT/README.txt" <<'EOF'
Files for the ECE gadget problem (case opened by Northwind Traders IT).

cacerts password is changeit (copied from ADS side A, C:\Program Files\Java\jre\lib\security\cacerts).
ADS side A shows 'There was an error loading the page' when opening the Email and Chat gadget.
ece-web.cer and certnew.p7b are the certificate of the ECE web server from our CA.
applicationHost.config is from the ECE web server, spog_config.js too.
EOF
to_crlf "$OUT/README.txt"

make_f10
make_contoso
make_wingtip
make_litware

# ---------------------------------------------------------------------------
# Case 2: Fabrikam, Inc., F2: the certificate names only the short host name
# ---------------------------------------------------------------------------
echo "== fabrikam-f2-short-name"
FB="$WORK/fabrikam"
OUT="$FIELD/fabrikam-f2-short-name/input"
rm -rf "$OUT" && mkdir -p "$OUT"
make_pki "$FB" \
    "/CN=Fabrikam Root CA" "Fabrikam Root CA" FABROOTCA \
    "/CN=Fabrikam Issuing CA" "Fabrikam Issuing CA" FABPKI01 \
    "DC=fabrikam,DC=test" fabrikam.test pki.fabrikam.test \
    "/CN=ece01" "DNS:ece01" 20260201000000Z 20270201000000Z

# ece01.pem: a PEM chain, leaf then issuing then root.
cat "$FB/leaf.pem" "$FB/issuing.pem" "$FB/root.pem" > "$OUT/ece01.pem"
# The AW's cacerts as PKCS#12, the Fabrikam CAs correctly imported.
make_store "$OUT/cacerts.p12" PKCS12 "$STOREPASS" \
    "fabrikam root ca|$FB/root.pem" "fabrikam issuing ca|$FB/issuing.pem"
write_apphost "$OUT/applicationHost.config" "$(thumbprint "$FB/leaf.pem")"
# SPOG and the users use the FQDN, which the certificate does not hold.
write_spog "$OUT/spog_config.js" ece01.fabrikam.test

# ---------------------------------------------------------------------------
# Case 3: Tailspin Toys, F25: the web certificate expired on 2026-03-31
# ---------------------------------------------------------------------------
echo "== tailspin-f25-expired"
TS="$WORK/tailspin"
OUT="$FIELD/tailspin-f25-expired/input"
rm -rf "$OUT" && mkdir -p "$OUT"
make_pki "$TS" \
    "/C=US/O=Tailspin Toys/CN=Tailspin Root CA" "Tailspin Root CA" TSROOTCA \
    "/C=US/O=Tailspin Toys/CN=Tailspin Issuing CA 1" "Tailspin Issuing CA 1" TSPKI01 \
    "DC=tailspin,DC=test" tailspin.test pki.tailspin.test \
    "/C=US/O=Tailspin Toys/CN=chat.tailspin.test" \
    "DNS:chat.tailspin.test, DNS:ece.tailspin.test" 20250331000000Z 20260331000000Z

# Windows' "Base-64 encoded X.509 (.CER)" export: PEM with CRLF.
openssl x509 -in "$TS/leaf.pem" -out "$OUT/chat.tailspin.test.cer"
to_crlf "$OUT/chat.tailspin.test.cer"
openssl x509 -in "$TS/issuing.pem" -out "$OUT/issuing.crt"
openssl x509 -in "$TS/root.pem" -outform DER -out "$OUT/root.der"
make_store "$OUT/cacerts" JKS "$STOREPASS" \
    "tailspin root ca|$TS/root.pem" "tailspin issuing ca 1|$TS/issuing.pem"
write_apphost "$OUT/applicationHost.config" "$(thumbprint "$TS/leaf.pem")"
write_spog "$OUT/spog_config.js" chat.tailspin.test
# Something the reproducer must ignore.
write_png "$OUT/screenshot.png"

# ---------------------------------------------------------------------------
# Bad inputs for the harness's tests
# ---------------------------------------------------------------------------
echo "== harness/tests/fixtures/reproduce"
mkdir -p "$FIXTURES"

# loop/: two CA certificates that issue each other.  Both keys first; then a
# throw-away self-signed certificate per key only to give `openssl ca` the
# issuer name and key; then A (subject Loop CA A) is issued under B's name
# with B's key and B under A's name with A's key.
OUT="$FIXTURES/loop"
rm -rf "$OUT" && mkdir -p "$OUT"
LP="$WORK/loop"
mkdir -p "$LP/newcerts"
: > "$LP/index.txt"
cat > "$LP/ca.cnf" <<EOF
[ ca ]
default_ca = loop
[ loop ]
database        = $LP/index.txt
new_certs_dir   = $LP/newcerts
serial          = $LP/serial
default_md      = sha256
policy          = policy_any
preserve        = yes
unique_subject  = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ v3_loop ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
EOF
for x in A B; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$LP/$x.key" 2>/dev/null
    openssl req -new -x509 -config "$REQ_CNF" -key "$LP/$x.key" -subj "/CN=Loop CA $x" \
        -addext "basicConstraints = critical, CA:TRUE" -addext "subjectKeyIdentifier = hash" \
        -days 1 -out "$LP/$x-helper.pem"
    openssl req -new -config "$REQ_CNF" -key "$LP/$x.key" -subj "/CN=Loop CA $x" -out "$LP/$x.csr"
done
ca_sign "$LP" "$LP/A.csr" "$OUT/a.pem" v3_loop 20240101000000Z 20340101000000Z \
    -cert "$LP/B-helper.pem" -keyfile "$LP/B.key"
ca_sign "$LP" "$LP/B.csr" "$OUT/b.pem" v3_loop 20240101000000Z 20340101000000Z \
    -cert "$LP/A-helper.pem" -keyfile "$LP/A.key"

# corrupt-store/cacerts: a JKS from keytool, then the certificate entry in
# the middle of the file has its first 64 DER bytes overwritten with 0xFF.
# The FEEDFEED magic, the entry count and every length field stay as they
# were, so the file still looks like a JKS, but that certificate no longer
# parses: the store does not load, with or without its password.  (Bytes
# overwritten inside a certificate's signature would only break the store's
# SHA-1 integrity check, which keytool reports exactly as a wrong password,
# and which it skips when no password is given.)
OUT="$FIXTURES/corrupt-store"
rm -rf "$OUT" && mkdir -p "$OUT"
make_store "$OUT/cacerts" JKS "$STOREPASS"
python3 - "$OUT/cacerts" <<'PY'
import struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
magic, version, count = struct.unpack(">III", data[:12])
assert magic == 0xFEEDFEED and version == 2, "not a JKS v2 store"
# JKS v2 trusted-certificate entries: tag(4) alias(UTF) date(8) type(UTF) len(4) DER
pos, certs = 12, []
for _ in range(count):
    tag, = struct.unpack(">I", data[pos:pos + 4]); pos += 4
    assert tag == 2, "expected only trustedCertEntry entries"
    n, = struct.unpack(">H", data[pos:pos + 2]); pos += 2 + n + 8
    n, = struct.unpack(">H", data[pos:pos + 2]); pos += 2 + n
    n, = struct.unpack(">I", data[pos:pos + 4]); pos += 4
    certs.append((pos, n)); pos += n
middle = len(data) // 2
start, _ = min(certs, key=lambda c: abs(c[0] + c[1] // 2 - middle))
data[start:start + 64] = b"\xff" * 64
open(path, "wb").write(data)
PY

# wrong-password/cacerts: a good JKS whose password is not changeit.
OUT="$FIXTURES/wrong-password"
rm -rf "$OUT" && mkdir -p "$OUT"
make_store "$OUT/cacerts" JKS not-changeit

# nothing/: a customer's note and a screenshot, nothing to reproduce from.
OUT="$FIXTURES/nothing"
rm -rf "$OUT" && mkdir -p "$OUT"
cat > "$OUT/README.txt" <<'EOF'
Hi, the gadget does not load since last week, screenshot attached.
We will send the certificates and configuration files tomorrow.
EOF
to_crlf "$OUT/README.txt"
write_png "$OUT/screenshot.png"

# ---------------------------------------------------------------------------
# Summary: what ccelab reproduce should find.
# ---------------------------------------------------------------------------
echo "== summary"
for c in "northwind-f1-ca-missing:$NW" "fabrikam-f2-short-name:$FB" "tailspin-f25-expired:$TS"; do
    d=${c#*:}
    echo "${c%%:*}"
    for cert in root issuing leaf; do
        printf '  %-8s %s | serial %s | %s | %s | SHA-1 %s\n' "$cert" \
            "$(openssl x509 -in "$d/$cert.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" \
            "$(openssl x509 -in "$d/$cert.pem" -noout -serial | sed 's/^serial=//')" \
            "$(openssl x509 -in "$d/$cert.pem" -noout -startdate | sed 's/^notBefore=//')" \
            "$(openssl x509 -in "$d/$cert.pem" -noout -enddate | sed 's/^notAfter=//')" \
            "$(thumbprint "$d/$cert.pem")"
    done
done
