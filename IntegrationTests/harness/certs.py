"""Self-signed certificates for the TLS tests, made with the openssl command line tool."""

import pathlib
import subprocess


def self_signed(directory, name, cn="127.0.0.1", days=2):
    """Write <name>.crt and <name>.key (RSA 2048, self-signed, CN=cn) into directory; world
    readable (httpd's children are www-data). Returns (cert_path, key_path)."""
    d = pathlib.Path(directory)
    cert, key = d / (name + ".crt"), d / (name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", str(days), "-subj", "/CN=%s" % cn],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    cert.chmod(0o644)
    key.chmod(0o644)
    return str(cert), str(key)
