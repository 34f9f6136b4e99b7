"""Helpers shared by the tests and the benchmarks: fixture factories (`pki`: a test PKI that
signs like the real Diia service, in DSTU 4145, ECDSA and RSA; `pdf`: Diia-like copies made with
a PDF library and real fonts). They live here, outside the installed packages, so a release does
not ship code that makes certificates and signatures for invented people."""
