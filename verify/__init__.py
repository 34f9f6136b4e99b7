"""diia-inbox: signature verification (CMS/CAdES, DSTU 4145, ECDSA, RSA).

Engineers: the agreed module APIs and working rules are in verify/API.md (and TEAM.md at the
repository root). Read them before writing code here.
"""
