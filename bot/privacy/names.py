"""Word lists for the cheap name heuristics in :mod:`bot.privacy.detect`.

Kept as Python data rather than text files so that every install of the package
(editable or not) carries them without extra package-data settings.

``FIRST_NAMES`` holds common first names of young people and adults in Dutch
cities, deliberately mixed in origin (Dutch, Moroccan, Turkish, Surinamese,
Antillean, English). Names that are also ordinary words and may start a
sentence ("Ben", "Will", "May", "Can", "Job", "Storm", "April") are left out:
a capitalised word at the start of a sentence would otherwise be flagged.

``NON_NAMES`` holds capitalised words that appear in the middle of sentences
about street work without being personal names: places, organisations, brands,
platforms, holidays, days, months, languages and nationalities. It keeps the
trigger and two-capitals rules from flagging "met Jeugdzorg" or "Het Parool".
"""

from __future__ import annotations


def word_set(text: str) -> frozenset[str]:
    """A word list written as running text, one entry per whitespace-separated word."""
    return frozenset(text.split())


FIRST_NAMES: frozenset[str] = word_set(
    """
    Aaron Abdel Abdelkader Abdullah Adam Ahmed Aisha Ali Amber Amin Amina Amir Amira
    Anass Anna Anouk Anton Arjen Aya Ayman Ayoub Aylin Ayse Bas Bilal Bo Boaz Bram
    Brian Britt Burak Busra Chantal Charlotte Chris Daan Damian Dani Danny Dave David
    Demi Dennis Dewi Dirk Dounia Dylan Ebru Elif Elin Eline Ella Emir Emma Emre Enes
    Erik Esra Esther Eva Evi Fabian Fatima Fatma Femke Fenna Finn Fleur Floor Gerard
    Gijs Guus Hafsa Hamza Hanna Hannah Hans Hasan Hassan Henk Hidde Ibrahim Ilias
    Ilse Imane Inge Ingrid Ines Iris Isa Isabel Ismail Ivo Jamal Jamie Jan Jasmijn
    Jasper Jayden Jaylen Jeffrey Jens Jermaine Jeroen Jesse Jessica Joep Johan
    Jordy Joris Joost Julia Julian Justin Kaoutar Karim Kees Kelly Kerem Kevin
    Khadija Kim Kimberley Koen Lars Latifa Laura Layla Leon Levi Liam Lieke Lina
    Linda Lisa Lotte Luca Lucas Luuk Lynn Maarten Malika Mariam Marieke Marco Mark
    Martin Mats Maud Max Mees Mehmet Melissa Merel Meryem Michel Mike Mila Milan
    Mo Mohamed Mohammed Monique Mounir Mustafa Naima Naomi Nick Niels Nina Noah
    Noor Nora Nordin Nour Olivia Omar Patrick Peter Petra Piet Priscilla Quincy
    Rachid Rayan Redouan Rick Rik Robin Romano Romy Roos Ruben Rutger Ryan Saar
    Salma Sam Samira Sanaa Sandra Sander Sanne Sara Sarah Sem Senna Shaquille
    Shirley Sofia Sophie Soufiane Stefan Stijn Sven Tess Thijs Thomas Tijn Tim
    Tom Tommy Tyrone Vera Wendy Willem Wim Xavi Yara Yasmina Yassin Yusuf Youssef
    Zakaria Zeynep Zoë Zoe
    """
)

NON_NAMES: frozenset[str] = word_set(
    """
    Ik Jij Je Hij Zij Ze Wij We Jullie Zij Het De Een Dat Die Dit Deze Toen Daarna
    Maar En Of Als Want Omdat Ook Nu Nog Wel Niet Geen Mijn Zijn Haar Hun Onze
    I He She We They The A An And But Or If When Then His Her Their Our My
    Maandag Dinsdag Woensdag Donderdag Vrijdag Zaterdag Zondag
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    Januari Februari Maart April Mei Juni Juli Augustus September Oktober
    November December January February March May June July August October
    Kerst Kerstmis Pasen Pinksteren Ramadan Suikerfeest Offerfeest Koningsdag
    Sinterklaas Oud Nieuw Oudjaar Carnaval Halloween Christmas Easter
    Amsterdam Rotterdam Utrecht Haag Den Bosch Eindhoven Groningen Tilburg Almere
    Breda Nijmegen Arnhem Haarlem Enschede Apeldoorn Zaandam Zaanstad Leiden
    Dordrecht Zoetermeer Zwolle Maastricht Lelystad Delft Alkmaar Gouda Schiedam
    Vlaardingen Hilversum Amersfoort Helmond Venlo Heerlen Deventer Leeuwarden
    Emmen Helder Hoofddorp Diemen Amstelveen Purmerend Capelle Spijkenisse
    Nederland Holland Marokko Turkije Suriname Curaçao Syrië Somalië Eritrea
    Polen Belgie België Duitsland Frankrijk Europa Afrika Netherlands Morocco
    Noord Zuid Oost West Centrum Nieuw-West Zuidoost Bijlmer Osdorp Slotervaart
    Bos Lommer Kralingen Crooswijk Feijenoord Charlois Overvecht Kanaleneiland
    Schilderswijk Transvaal Noordrand
    Politie Halt Veilig Thuis Meld Misdaad Anoniem Jeugdzorg Jeugd Raad
    Kinderbescherming Kinderbeschermingsraad Wijkteam Boa Handhaving Gemeente
    Meldcode Meldpunt Leerplicht Reclassering Jeugdreclassering GGD GGZ CBS
    Juridisch Loket Rijksoverheid Overheid Justitie Openbaar Ministerie OM Rechtbank
    Straatwijs Telegram WhatsApp Snapchat Instagram TikTok Facebook Google Maps
    YouTube Twitter Discord Signal Netflix Spotify
    Albert Heijn Jumbo Lidl Aldi Action Hema Coop Kruidvat Etos Primark Zara
    McDonald's Burger King KFC Ajax Feyenoord PSV Parool Telegraaf NOS RTL
    College Lyceum School Basisschool Station Centraal Universiteit Hogeschool
    Montessori Vondelpark Museumplein Dam Markt
    Nederlands Nederlandse Marokkaans Marokkaanse Turks Turkse Surinaams
    Surinaamse Antilliaans Antilliaanse Pools Poolse Syrisch Syrische Somalisch
    Somalische Eritrees Eritrese Duits Duitse Engels Engelse Arabisch Frans
    Dutch English Moroccan Turkish Surinamese Arabic Polish German French
    Marokkanen Turken Surinamers Antillianen Nederlanders Polen Syriërs
    Youth Care Centre Center Police Board Child Protection Council Municipality
    Safe Home Team Street Manager Mister Miss Sir Madam
    Autoriteit Persoonsgegevens Centrum Jeugd Gezin Veiligheidshuis Zorg Welzijn
    Act Association Administration Authority Crime Report Centre Human Trafficking
    Tax Banking Service Services Council Ministry Justice Security
    Korthagen Gibbs Kolb Schön Johari Rogers Maslow
    Stichting Bureau Vereniging Afdeling Team Buurthuis Wijkcentrum Jongerencentrum
    Moslim Islam Christen Jezus Allah God Koran Bijbel
    BMW Mercedes Audi Golf Volkswagen Toyota Opel Peugeot Renault Tesla Yamaha
    Vespa Piaggio iPhone Samsung
    Covid Corona
    """
)

# Multi-word proper nouns whose parts could pass for names ("Albert" is a first
# name; "Meld Misdaad Anoniem" is three capitals in a row). Masked before the
# name rules run.
NON_NAME_PHRASES: tuple[str, ...] = (
    "Albert Heijn",
    "Meld Misdaad Anoniem",
    "Veilig Thuis",
    "Raad voor de Kinderbescherming",
    "Het Parool",
    "De Telegraaf",
    "Den Haag",
    "Den Bosch",
    "Den Helder",
    "Bos en Lommer",
    "Oud en Nieuw",
    "Juridisch Loket",
    "Openbaar Ministerie",
    "Google Maps",
    "Burger King",
    "Sint Maarten",
)

# Words that, directly before a capitalised word, say that a person is named.
NAME_TRIGGERS: frozenset[str] = word_set(
    """
    met genaamd heet heette heten alias aka bijnaam roepnaam meneer mevrouw mw dhr
    mr mrs ms miss zichzelf die collega named called with himself herself
    told nickname zoon dochter broer zus broertje zusje moeder vader oom tante
    neef nicht opa oma vriend vriendin vriendje buurman buurvrouw volgens
    """
)

# Family and social relations: "de moeder van Kevin" names Kevin.
RELATIONS: frozenset[str] = word_set(
    """
    moeder vader broer zus broertje zusje oom tante neef nicht opa oma vriend
    vriendin vriendje buurman buurvrouw ouders familie zoon dochter kinderen
    mother father brother sister uncle aunt cousin friend
    """
)

# Dutch particles in surnames and street names ("Peter de Graaf", "El Amrani").
PARTICLES: frozenset[str] = word_set("van de der den het 't ter ten te el al la le du da di")
