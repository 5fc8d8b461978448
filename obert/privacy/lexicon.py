"""Words the detectors recognise: common given names and surnames, and column-name hints.

The name lists are our own short selection of the most frequent given names and surnames in Catalonia
and Spain (the kind of ranking INE and Idescat publish), accent-folded and lower-cased. They are a
signal, not a census: a name column is recognised when many of its values contain these tokens.
Words that are also Barcelona place names (Gràcia, Sants, Mar) are left out on purpose.
"""

from __future__ import annotations

import itertools
import re
import unicodedata


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


GIVEN_NAMES = _words(
    """
    antonio jose manuel francisco david juan javier daniel carlos jesus alejandro miguel rafael pablo pedro
    angel sergio fernando jorge luis alberto alvaro adrian diego raul enrique ramon vicente ivan ruben oscar
    andres joaquin santiago eduardo victor roberto jaime mario marcos ignacio alfonso salvador ricardo emilio
    hugo guillermo gabriel julian marc julio tomas agustin gonzalo nicolas martin felix rodrigo samuel
    lucas mateo leo izan hector cristian jonathan domingo juanjo josemaria emilio benito lorenzo
    joan josep jordi pere pau marti arnau oriol xavier albert jaume lluis ferran enric isidre ignasi gerard
    pol biel nil eric aleix adria sergi joel roger bernat quim joaquim francesc xavi toni cesc genis narcis
    esteve ernest lluc jan aniol guillem bru dani didac max txema pep pepe paco manolo
    maria carmen ana isabel laura cristina marta dolores francisca lucia antonia elena sara paula mercedes
    raquel manuela rosa juana pilar teresa beatriz nuria silvia julia irene patricia encarnacion andrea
    rocio montserrat monica alba angela sonia sandra marina susana yolanda natalia margarita eva
    inmaculada claudia esther noelia veronica carolina rosario angeles nerea ines amparo alicia lorena emma
    lidia miriam rebeca vanesa diana celia josefa concepcion josefina consuelo ainhoa aitana valeria
    mireia anna montse meritxell laia aina jana clara berta judit gemma neus roser merce carla ariadna
    queralt txell eulalia assumpta gloria agnes iolanda olga jordina martina ona abril nora elisabet
    ester imma marta mariona rut sofia helena estela carme fina nuri cristina georgina elisenda
    """
)

SURNAMES = _words(
    """
    garcia rodriguez gonzalez fernandez lopez martinez sanchez perez gomez martin jimenez ruiz hernandez
    diaz moreno munoz alvarez romero alonso gutierrez navarro torres dominguez vazquez ramos gil ramirez
    serrano blanco molina morales suarez ortega delgado castro ortiz rubio marin sanz nunez iglesias
    medina garrido cortes castillo santos lozano guerrero cano prieto mendez cruz calvo gallego herrera
    marquez leon vidal pena flores cabrera campos vega fuentes carrasco diez caballero reyes aguilar nieto
    pascual santana herrero lorenzo montero hidalgo gimenez ibanez ferrer duran santiago benitez mora
    vicente vargas arias carmona crespo roman pastor soto saez velasco moya soler parra esteban bravo
    gallardo rojas pardo merino franco espinosa izquierdo lara rivas silva rivera casado arroyo redondo
    camacho rey vera otero luque galan montes rios sierra segura carrillo marcos marti puig pujol vila
    font sala roca serra costa riera mas casas prat badia bosch camps coll rovira ribas pons mir sola valls
    vives planas batlle canals masso grau ros sole roig vall farre fabregas bonet miro oliver rius
    ribera pla cases carbonell ventura sabate llobet tort alsina bertran capdevila claramunt domenech
    esteve estrada ferrando figueras fontanals gironella guasch homs jove llorens macia massague
    miralles noguera oliva palau pages parera pineda quintana raventos reig rigau sagarra tarrago
    tomas tous valldeperas xirau
    """
)

# Tokens that may sit between a given name and a surname.
PARTICLES = _words("de del la las los i y d l da das dos van von")
HONORIFICS = _words("sr sra srta sr. sra. dr dra don dona na en d.")

# Column-name hints. A strong hint names a person-name column outright; a weak one ("nom", "name") is
# used in open data for streets, districts and stations too, so it needs the values to agree.
NAME_STRONG = _words(
    "cognom cognoms apellido apellidos surname surnames lastname firstname fullname givenname "
    "familyname nomcomplet nombrecompleto nomicognoms nombreyapellidos personacontacte personacontacto "
    "contactperson"
)
NAME_WEAK = _words(
    "nom noms nombre nombres name names titular titulars responsable responsables responsible contacte "
    "contacto contact persona interessat interesado solicitant solicitante beneficiari beneficiario "
    "propietari propietario autor author"
)
# Tokens that show a "nom"/"name" column names a thing, not a person.
NAME_NEGATIVE = _words(
    "carrer calle street via vial road barri barrio neighborhood neighbourhood districte distrito "
    "district municipi municipio municipality provincia province town ciutat ciudad city country pais "
    "estacio estacion station equipament equipamiento cabina mercat mercado empresa entitat entidad "
    "organisme organismo organization organisation company companyia dimensio valor desc descripcio "
    "descripcion tipus tipo type category categoria status mes month dia day any year image file "
    "title job jobtitle contaminant producte producto servei servicio attribute zona area"
)
ADDRESS_HINTS = _words(
    "adreca adreces direccion direcciones domicili domicilio address addresses adrecapostal "
    "direccionpostal streetaddress"
)
BIRTH_HINTS = _words(
    "naixement nacimiento birth birthdate birthday dob datanaixement fechanacimiento datanaix fnac fechanac"
)
PHONE_HINTS = _words("tel telf telefon telefono telephone phone phones mobil movil mobile cell fax whatsapp")
CARD_HINTS = _words("targeta tarjeta card pan")

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_TOKEN = re.compile(r"[a-z0-9]+")
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]")


def repair(text: str) -> str:
    """Undo the commonest mojibake (UTF-8 read as Latin-1, as in some Open Data BCN JSON files)."""
    if _MOJIBAKE.search(text):
        try:
            return text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return text
    return text


def fold(text: str) -> str:
    """Lower case, accents removed, mojibake repaired: the form the word lists use."""
    decomposed = unicodedata.normalize("NFKD", repair(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def column_tokens(column: str, *, levels: int = 2) -> tuple[frozenset[str], frozenset[str]]:
    """The words of a column name and their adjacent pairs joined, so ``first_name``, ``FirstName`` and
    ``nom i cognoms`` all reach the same hint. In a nested path only the last `levels` parts describe
    the value (``responsible_value.name``)."""
    leaf = ".".join(column.split(".")[-levels:])
    words = _TOKEN.findall(fold(_CAMEL.sub("_", leaf)))
    words = [w.rstrip("0123456789") or w for w in words]
    joined = {a + b for a, b in itertools.pairwise(words)}
    joined |= {a + b + c for a, b, c in zip(words, words[1:], words[2:], strict=False)}
    joined.add("".join(words))
    return frozenset(words), frozenset(joined)


def has_hint(column: str, hints: frozenset[str], *, levels: int = 2) -> bool:
    words, joined = column_tokens(column, levels=levels)
    return bool(words & hints or joined & hints)
