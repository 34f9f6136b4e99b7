"""The standard DSTU 4145-2002 polynomial-basis curves and their named-curve OIDs.

Values are embedded so the verifier needs nothing outside the package at run time; they are the
curves of DSTU 4145-2002 (Annex) as published in `dstu4145/curves.json` of the shared test
vectors: y^2 + xy = x^3 + a*x^2 + b over GF(2)[t] / (t^m + t^ks[0] (+ t^ks[1] + t^ks[2]) + 1),
all hex values big-endian. `DSTU_163_TEST` is the test curve of the standard's worked example
(same field and coefficients as DSTU_163, another base point) and has no OID.

Named curves in certificates are `1.2.804.2.1.1.1.1.3.1.1.2.<i>` with i = 0 .. 9 for
m = 163, 167, 173, 179, 191, 233, 257, 307, 367, 431.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

__all__ = ["CURVE_SPECS", "NAMED_CURVE_ARC", "NAMED_CURVE_OIDS", "CurveSpec"]


class CurveSpec(NamedTuple):
    m: int
    ks: tuple[int, ...]
    a: int
    b: str
    n: str
    gx: str
    gy: str


_Spec = CurveSpec

CURVE_SPECS = MappingProxyType(
    {
        "DSTU_163": _Spec(
            m=163,
            ks=(7, 6, 3),
            a=1,
            b="05FF6108462A2DC8210AB403925E638A19C1455D21",
            n="0400000000000000000002BEC12BE2262D39BCF14D",
            gx="02E2F85F5DD74CE983A5C4237229DAF8A3F35823BE",
            gy="03826F008A8C51D7B95284D9D03FF0E00CE2CD723A",
        ),
        "DSTU_163_TEST": _Spec(
            m=163,
            ks=(7, 6, 3),
            a=1,
            b="05FF6108462A2DC8210AB403925E638A19C1455D21",
            n="0400000000000000000002BEC12BE2262D39BCF14D",
            gx="072D867F93A93AC27DF9FF01AFFE74885C8C540420",
            gy="00224A9C3947852B97C5599D5F4AB81122ADC3FD9B",
        ),
        "DSTU_167": _Spec(
            m=167,
            ks=(6,),
            a=1,
            b="6EE3CEEB230811759F20518A0930F1A4315A827DAC",
            n="3FFFFFFFFFFFFFFFFFFFFFB12EBCC7D7F29FF7701F",
            gx="7A1F6653786A68192803910A3D30B2A2018B21CD54",
            gy="5F49EB26781C0EC6B8909156D98ED435E45FD59918",
        ),
        "DSTU_173": _Spec(
            m=173,
            ks=(10, 2, 1),
            a=0,
            b="108576C80499DB2FC16EDDF6853BBB278F6B6FB437D9",
            n="0800000000000000000000189B4E67606E3825BB2831",
            gx="04D41A619BCC6EADF0448FA22FAD567A9181D37389CA",
            gy="10B51CC12849B234C75E6DD2028BF7FF5C1CE0D991A1",
        ),
        "DSTU_179": _Spec(
            m=179,
            ks=(4, 2, 1),
            a=1,
            b="04A6E0856526436F2F88DD07A341E32D04184572BEB710",
            n="03FFFFFFFFFFFFFFFFFFFFFFB981960435FE5AB64236EF",
            gx="06BA06FE51464B2BD26DC57F48819BA9954667022C7D03",
            gy="025FBC363582DCEC065080CA8287AAFF09788A66DC3A9E",
        ),
        "DSTU_191": _Spec(
            m=191,
            ks=(9,),
            a=1,
            b="7BC86E2102902EC4D5890E8B6B4981FF27E0482750FEFC03",
            n="40000000000000000000000069A779CAC1DABC6788F7474F",
            gx="714114B762F2FF4A7912A6D2AC58B9B5C2FCFE76DAEB7129",
            gy="29C41E568B77C617EFE5902F11DB96FA9613CD8D03DB08DA",
        ),
        "DSTU_233": _Spec(
            m=233,
            ks=(9, 4, 1),
            a=1,
            b="6973B15095675534C7CF7E64A21BD54EF5DD3B8A0326AA936ECE454D2C",
            n="01000000000000000000000000000013E974E72F8A6922031D2603CFE0D7",
            gx="3FCDA526B6CDF83BA1118DF35B3C31761D3545F32728D003EEB25EFE96",
            gy="9CA8B57A934C54DEEDA9E54A7BBAD95E3B2E91C54D32BE0B9DF96D8D35",
        ),
        "DSTU_257": _Spec(
            m=257,
            ks=(12,),
            a=0,
            b="01CEF494720115657E18F938D7A7942394FF9425C1458C57861F9EEA6ADBE3BE10",
            n="00800000000000000000000000000000006759213AF182E987D3E17714907D470D",
            gx="002A29EF207D0E9B6C55CD260B306C7E007AC491CA1B10C62334A9E8DCD8D20FB7",
            gy="010686D41FF744D4449FCCF6D8EEA03102E6812C93A9D60B978B702CF156D814EF",
        ),
        "DSTU_307": _Spec(
            m=307,
            ks=(8, 4, 2),
            a=1,
            b="0393C7F7D53666B5054B5E6C6D3DE94F4296C0C599E2E2E241050DF18B6090BDC90186904968BB",
            n="03FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC079C2F3825DA70D390FBBA588D4604022B7B7",
            gx="0216EE8B189D291A0224984C1E92F1D16BF75CCD825A087A239B276D3167743C52C02D6E7232AA",
            gy="05D9306BACD22B7FAEB09D2E049C6E2866C5D1677762A8F2F2DC9A11C7F7BE8340AB2237C7F2A0",
        ),
        "DSTU_367": _Spec(
            m=367,
            ks=(21,),
            a=1,
            b=(
                "43FC8AD242B0B7A6F3D1627AD5654447556B47BF6AA4A6"
                "4B0C2AFE42CADAB8F93D92394C79A79755437B56995136"
            ),
            n=(
                "4000000000000000000000000000000000000000000000"
                "9C300B75A3FA824F22428FD28CE8812245EF44049B2D49"
            ),
            gx=(
                "324A6EDDD512F08C49A99AE0D3F961197A76413E7BE81A"
                "400CA681E09639B5FE12E59A109F78BF4A373541B3B9A1"
            ),
            gy=(
                "01AB597A5B4477F59E39539007C7F977D1A567B92B043A"
                "49C6B61984C3FE3481AAF454CD41BA1F051626442B3C10"
            ),
        ),
        "DSTU_431": _Spec(
            m=431,
            ks=(5, 3, 1),
            a=1,
            b=(
                "03CE10490F6A708FC26DFE8C3D27C4F94E690134D5BFF988D8D28A"
                "AEAEDE975936C66BAC536B18AE2DC312CA493117DAA469C640CAF3"
            ),
            n=(
                "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
                "BA3175458009A8C0A724F02F81AA8A1FCBAF80D90C7A95110504CF"
            ),
            gx=(
                "1A62BA79D98133A16BBAE7ED9A8E03C32E0824D57AEF72F8898687"
                "4E5AAE49C27BED49A2A95058068426C2171E99FD3B43C5947C857D"
            ),
            gy=(
                "70B5E1E14031C1F70BBEFE96BDDE66F451754B4CA5F48DA241F331"
                "AA396B8D1839A855C1769B1EA14BA53308B5E2723724E090E02DB9"
            ),
        ),
    }
)

NAMED_CURVE_ARC = "1.2.804.2.1.1.1.1.3.1.1.2"

NAMED_CURVE_OIDS = MappingProxyType(
    {
        f"{NAMED_CURVE_ARC}.{i}": name
        for i, name in enumerate(
            (
                "DSTU_163",
                "DSTU_167",
                "DSTU_173",
                "DSTU_179",
                "DSTU_191",
                "DSTU_233",
                "DSTU_257",
                "DSTU_307",
                "DSTU_367",
                "DSTU_431",
            )
        )
    }
)
