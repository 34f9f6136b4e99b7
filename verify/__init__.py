"""diia-inbox: signature verification (CMS/CAdES, DSTU 4145, GOST 34.311, Kupyna, ECDSA, RSA).

Layered like `cryptography`: field and curve arithmetic and hashes at the bottom (gf2m,
dstu4145, gost34311, kupyna), CMS and certificate logic on top (asn1, certs, cms, tsp, trust,
path, revocation), policy and reporting above that (policy, report, validate, cli). Imports
nothing else of the project. See docs/verification.md.
"""
