"""What the generator needs to know about each site beyond its profile: how many patients, which
names and record numbers its system uses, what its extract holds in the columns the profile drops."""

from __future__ import annotations

from dataclasses import dataclass, field

from site_exports.synthetic.cases import SiteCases


@dataclass(frozen=True)
class SiteSettings:
    cases: SiteCases
    names: str  # us, es (Spanish) or ca (Catalan)
    mrn_prefix: str
    mrn_digits: int
    extract: str  # the file (or folder) name of the extract inside site_exports/<SITE>/
    line_end: str = "\n"
    # identifier column -> attribute of the Identity (by default chosen from the identifier's kind)
    roles: dict[str, str] = field(default_factory=dict)
    # columns the profile drops on purpose -> what the extract holds there
    fillers: dict[str, str] = field(default_factory=dict)


SITES = {
    "FHCC": SiteSettings(
        SiteCases("FHCC-2024", 6, "US", ldh_uln=222), "us", "U", 7, "fhcc_cart_anakinra_extract.csv",
        fillers={"Service": "Immunotherapy"},
    ),
    "OHSU": SiteSettings(
        SiteCases("OHSU-2024", 5, "US", ldh_uln=225), "us", "", 8, "ohsu_cart_toxicity.xlsx",
        roles={"Patient First Name": "first_middle", "Patient Last Name": "last1"},
    ),
    "HCB": SiteSettings(
        SiteCases("HCB-2024", 8, "ES", ldh_uln=234), "ca", "", 8, "hcb_extraccion_anakinra.csv", "\r\n",
        roles={"Nombre": "first", "Apellidos": "lasts"},
        fillers={"Servicio": "Hematología"},
    ),
    "HUVH": SiteSettings(
        SiteCases("HUVH-2024", 6, "ES", ldh_uln=248), "ca", "", 6, "huvh_extraccio_anakinra.csv", "\r\n",
        roles={"Nom": "first", "Cognoms": "lasts"},
    ),
    "HGUGM": SiteSettings(
        SiteCases("HGUGM-2024", 5, "ES", crp_unit=2, ldh_uln=250), "es", "", 7, "hgugm_anakinra.xlsx",
    ),
    "H12O": SiteSettings(
        SiteCases("H12O-2024", 5, "ES", ldh_uln=246), "es", "", 7, "h12o_anakinra_export.csv", "\r\n",
        roles={"NOMBRE": "first", "APELLIDO 1": "last1", "APELLIDO 2": "last2"},
    ),
    "CUN": SiteSettings(
        SiteCases("CUN-2024", 4, "ES", ldh_uln=240), "es", "", 6, "cun_pacientes_anakinra.jsonl",
        roles={"paciente.nombre": "first", "paciente.apellidos": "lasts"},
    ),
    "HUSAL": SiteSettings(
        SiteCases("HUSAL-2024", 6, "ES", ldh_uln=250, oldest=1), "es", "", 8, "husal_tablas",
    ),
    "LAFE": SiteSettings(
        SiteCases("LAFE-2024", 7, "ES", ldh_uln=247), "ca", "", 6, "lafe_redcap_export.csv",
        roles={"nombre": "first", "apellidos": "lasts"},
    ),
}  # fmt: skip
