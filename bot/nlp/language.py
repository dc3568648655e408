"""Per-message language detection for French and English customer messages.

Customers write short, informal messages ("cc ou est ma cmd", "where's my parcel pls"), so general-purpose
detectors trained on long texts guess badly. This detector scores a message with two word lexicons (function words,
texting forms and the shop's own vocabulary) and French diacritics, and falls back on a prior (the conversation's
current language, then the channel's hint, e.g. Telegram's ``language_code``) when the message carries too little
evidence, such as "ok", "48213" or an emoji.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["fr", "en"]
SUPPORTED: tuple[Language, ...] = ("fr", "en")
DEFAULT_LANGUAGE: Language = "fr"

# Words are compared without accents and in lower case, so "ou" covers "où" and "recu" covers "reçu".
_FRENCH = """
a ai aie aies ait alors au aucun aujourd aujourdhui aussi autre aux avais avait avant avec avez avoir avons ayant
bcp beaucoup bien bjr bonjour bonne bonsoir bsr c ca car ce cela celle celui ces cest cet cette chez ci coucou
cc colis combien comme comment commande commandee commander commandes compte contre d dans de deja demain depuis des
deux dois doit donc dont du elle elles en encore es est et etais etait ete etes etre eu fait faire faut fois
hier ici il ils j jai jaimerais je jsp jsuis jveux la le les leur leurs lui l m ma madame mais me merci mes mdr
moi mon monsieur n ne ni non nos notre nous nan o on ont ou oui par parce pas pendant peu peut peux plus pour
pourquoi pourriez pouvez puis qu quand que quel quelle quelles quels qui quoi rien s sa salut sans se ses si slt
sil son sont stp suis sur svp t ta te tes toi ton toujours tous tout toute toutes tres tu un une vais veux vos
votre vous voudrais voulez vraiment y
livraison livre livree livrer reçu recu recue remboursement rembourse rembourser retour retourner annuler
annulation paiement payer carte facture mot passe oublie connexion connecter boutique magasin horaires ouvert
ouverte taille dispo disponible stock rupture conseiller humain personne parler reclamation inadmissible nul
nulle decu decue article vetement vetements robe chemise pantalon chaussures toujours attente semaine jours
aide aidez besoin adresse envoyer envoye expedie expediee suivi numero probleme souci abime endommage manquant
ferme fermee dimanche samedi lundi quoi ptdr trop tkt bisous daccord dacc ouais ouai bonne journee soiree
avoir pourrais mec grave franchement chui jsp nn ouais wesh mrc pk pq tjrs dsl desole vs ns qd cmt koi kan
commander recois recevoir voir savoir as fait jamais jour semaine mois heure heures appeler rappeler joindre
contacter quelqu vrai vraie conseillere aider promo paquet facture preleve debite veste jean pull boutiques
magasins ouvrez fermez numero marche fonctionne impossible merde putain arnaque honte scandale inacceptable
votre vos vas voila voici bah ben euh bof genre truc machin ptn mdrr lol oups ah oh bonne nuit plait
"""
_ENGLISH = """
a about after again all am an and any anyone are arrive arrived as at be been before being but by can cant could
did didnt do does dont down for from get got had has have havent having he hello help her here hey hi him his how
i id if im in into is isnt it its ive just know let like me more morning my need no not now of off ok okay on one
only or our out please pls plz so some still such than thank thanks thx that thats the their them then there these
they this those through to too u ur up us very want wanna was wasnt we were what whats when where which while who
why will with wont would yes yeah yep you your youre youve gonna gotta hiya cheers bye goodbye great
order ordered orders parcel package delivery delivered deliver shipping shipped ship tracking refund refunded
return returning returned cancel cancelled canceled cancellation payment pay paid card charged twice invoice
billing password login log account locked forgot reset email store shop shops opening hours open close closed
sunday saturday stock size available availability back restock human agent person someone talk speak real
complaint unacceptable disappointed worst terrible awful item items wrong missing damaged late lost never
received receive yet week days still waiting address number problem issue dress shirt trousers shoes jacket
weather joke tell anything else sorry nope sure right fine good bad today tomorrow yesterday
gm helo hellooo heyo howdy heya sup greetings hii heyyy see ya cya later take care night ttyl farewell cheerio until
next time ty much appreciated tysm really helpful thnx thanx yup exactly go ahead confirm absolutely definitely
alright yea indeed perfect affirmative nah don isn aren doesn didn won wouldn couldn shouldn wasn weren haven hasn
ll ve think rather who write poem bored entertain favourite favorite colour color latest news solve sing song
disgusting furious nobody helped appalling disgraceful completely unprofessional label link work working status
update policy going through discount checkout shameful disgusted best place nearby certainly bother prefer
should may might must shall every been does doing got getting give gave tell told ask asked call someone anybody
somebody something nothing everything wait waited waiting hour hours month months money back bought buy sent
send sending which whose how many much also already never ever yet soon late again thing stuff guys mate lol
"""

# Words French and English customers both use carry no evidence either way.
_BOTH = frozenset(["ok", "okay", "cool", "super", "top", "email", "mail", "stock", "tracking"])
FRENCH_WORDS = frozenset(_FRENCH.split())
ENGLISH_WORDS = frozenset(_ENGLISH.split())
_SHARED = (FRENCH_WORDS & ENGLISH_WORDS) | _BOTH
_FRENCH_ONLY = FRENCH_WORDS - _SHARED
_ENGLISH_ONLY = ENGLISH_WORDS - _SHARED

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FRENCH_LETTERS = set("éèêëàâîïôûùüçœæ")
# Evidence needed before a message overrides the conversation's current language.
_SWITCH_MARGIN = 1.5


def without_accents(text: str) -> str:
    """Lower case without accents (compatibility forms folded too): ``Écris-moi`` and ``ecris-moi`` read the same."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


def language_scores(text: str) -> dict[Language, float]:
    """Return the evidence for each language found in ``text`` (higher means more likely)."""
    lowered = text.lower().replace("'", " ").replace("’", " ")
    scores: dict[Language, float] = {"fr": 0.0, "en": 0.0}
    for raw in _WORD.findall(lowered):
        word = _strip_accents(raw)
        if len(word) == 1 and word not in ("i", "u"):
            continue
        if word in _FRENCH_ONLY:
            scores["fr"] += 1.0
        elif word in _ENGLISH_ONLY:
            scores["en"] += 1.0
        if any(c in _FRENCH_LETTERS for c in raw):
            scores["fr"] += 1.0
    return scores


def normalize_language(code: str | None) -> Language | None:
    """Map a locale such as ``fr-CA`` or ``en_GB`` to a supported language, or None."""
    if not code:
        return None
    prefix = code.strip().lower().replace("_", "-").split("-")[0]
    return next((language for language in SUPPORTED if language == prefix), None)


def detect_language(text: str, current: str | None = None, hint: str | None = None) -> Language:
    """Return the language of ``text``.

    Args:
        text: The customer's message.
        current: The conversation's language so far, kept when the message says too little to change it.
        hint: A channel hint such as Telegram's ``language_code``, used when there is no current language.

    """
    scores = language_scores(text)
    prior = normalize_language(current) or normalize_language(hint) or DEFAULT_LANGUAGE
    other: Language = "en" if prior == "fr" else "fr"
    if scores[other] - scores[prior] >= _SWITCH_MARGIN or (scores[prior] == 0 and scores[other] >= 1):
        return other
    return prior
