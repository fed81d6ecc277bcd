"""A probe of French news sentences for the shipped relation rules (written for these tests).

Each sentence gives its entities as (text, label) (the first occurrence of the text) and its
relations as (head text, relation label, child text), under the default schema.
"""

from __future__ import annotations

Probe = tuple[str, list[tuple[str, str]], list[tuple[str, str, str]]]

PROBE: list[Probe] = [
    # works_for
    (
        "Brad Smith, président de Microsoft, a témoigné mardi devant le Congrès.",
        [("Brad Smith", "PER"), ("Microsoft", "ORG"), ("Congrès", "ORG")],
        [("Brad Smith", "works_for", "Microsoft")],
    ),
    (
        "Le PDG de Renault, Luca de Meo, a présenté un plan d'économies.",
        [("Renault", "ORG"), ("Luca de Meo", "PER")],
        [("Luca de Meo", "works_for", "Renault")],
    ),
    (
        "Satya Nadella, directeur général de Microsoft, était attendu à Paris.",
        [("Satya Nadella", "PER"), ("Microsoft", "ORG"), ("Paris", "LOC")],
        [("Satya Nadella", "works_for", "Microsoft")],
    ),
    (
        "Patrick Pouyanné, à la tête de TotalEnergies depuis 2014, défend sa stratégie.",
        [("Patrick Pouyanné", "PER"), ("TotalEnergies", "ORG")],
        [("Patrick Pouyanné", "works_for", "TotalEnergies")],
    ),
    (
        "Xavier Niel, qui dirige Iliad, investit dans l'intelligence artificielle.",
        [("Xavier Niel", "PER"), ("Iliad", "ORG")],
        [("Xavier Niel", "works_for", "Iliad")],
    ),
    (
        "Marie Dupont travaille chez Airbus depuis dix ans.",
        [("Marie Dupont", "PER"), ("Airbus", "ORG")],
        [("Marie Dupont", "works_for", "Airbus")],
    ),
    (
        "Christine Lagarde, présidente de la Banque centrale européenne, a pris la parole.",
        [("Christine Lagarde", "PER"), ("Banque centrale européenne", "ORG")],
        [("Christine Lagarde", "works_for", "Banque centrale européenne")],
    ),
    (
        "Selon Jean Martin, porte-parole de la SNCF, les trains circuleront normalement.",
        [("Jean Martin", "PER"), ("SNCF", "ORG")],
        [("Jean Martin", "works_for", "SNCF")],
    ),
    (
        "Le patron de LVMH, Bernard Arnault, a racheté un quotidien.",
        [("LVMH", "ORG"), ("Bernard Arnault", "PER")],
        [("Bernard Arnault", "works_for", "LVMH")],
    ),
    (
        "Sophie Bernard, économiste chez BNP Paribas, prévoit une hausse des taux.",
        [("Sophie Bernard", "PER"), ("BNP Paribas", "ORG")],
        [("Sophie Bernard", "works_for", "BNP Paribas")],
    ),
    (
        "Thomas Leroy est à la tête d'Orange depuis le mois de mars.",
        [("Thomas Leroy", "PER"), ("Orange", "ORG")],
        [("Thomas Leroy", "works_for", "Orange")],
    ),
    (
        "Jensen Huang, fondateur de Nvidia, a présenté une nouvelle puce.",
        [("Jensen Huang", "PER"), ("Nvidia", "ORG")],
        [("Jensen Huang", "works_for", "Nvidia")],
    ),
    (
        "Paul Girard travaille pour Danone depuis 2019.",
        [("Paul Girard", "PER"), ("Danone", "ORG")],
        [("Paul Girard", "works_for", "Danone")],
    ),
    (
        "Anne Rigail, qui dirige Air France, a reçu les syndicats.",
        [("Anne Rigail", "PER"), ("Air France", "ORG")],
        [("Anne Rigail", "works_for", "Air France")],
    ),
    # located_in
    (
        "Airbus, basé à Toulouse, a livré plus de 700 avions l'an dernier.",
        [("Airbus", "ORG"), ("Toulouse", "LOC")],
        [("Airbus", "located_in", "Toulouse")],
    ),
    (
        "La start-up Mistral AI, installée à Paris, lève de nouveaux fonds.",
        [("Mistral AI", "ORG"), ("Paris", "LOC")],
        [("Mistral AI", "located_in", "Paris")],
    ),
    (
        "Michelin, dont le siège est à Clermont-Ferrand, recrute 500 personnes.",
        [("Michelin", "ORG"), ("Clermont-Ferrand", "LOC")],
        [("Michelin", "located_in", "Clermont-Ferrand")],
    ),
    (
        "Le CNRS, implanté à Grenoble depuis longtemps, ouvre un laboratoire.",
        [("CNRS", "ORG"), ("Grenoble", "LOC")],
        [("CNRS", "located_in", "Grenoble")],
    ),
    (
        "Ubisoft a son siège à Montreuil, près de Paris.",
        [("Ubisoft", "ORG"), ("Montreuil", "LOC"), ("Paris", "LOC")],
        [("Ubisoft", "located_in", "Montreuil")],
    ),
    (
        "Marseille, dans les Bouches-du-Rhône, accueille le sommet.",
        [("Marseille", "LOC"), ("Bouches-du-Rhône", "LOC")],
        [("Marseille", "located_in", "Bouches-du-Rhône")],
    ),
    (
        "Le groupe Danone, dont le siège se trouve à Paris, a publié ses résultats.",
        [("Danone", "ORG"), ("Paris", "LOC")],
        [("Danone", "located_in", "Paris")],
    ),
    (
        "L'entreprise Doctolib, située à Levallois-Perret, embauche des ingénieurs.",
        [("Doctolib", "ORG"), ("Levallois-Perret", "LOC")],
        [("Doctolib", "located_in", "Levallois-Perret")],
    ),
    (
        "Airbus a livré des avions à Air France, basée à Roissy.",
        [("Airbus", "ORG"), ("Air France", "ORG"), ("Roissy", "LOC")],
        [("Air France", "located_in", "Roissy")],
    ),
    # member_of
    (
        "Olivier Faure, membre du Parti socialiste, critique le budget.",
        [("Olivier Faure", "PER"), ("Parti socialiste", "ORG")],
        [("Olivier Faure", "member_of", "Parti socialiste")],
    ),
    (
        "La France est membre de l'OTAN depuis 1949.",
        [("France", "LOC"), ("OTAN", "ORG")],
        [("France", "member_of", "OTAN")],
    ),
    (
        "Kylian Mbappé, joueur du Real Madrid, a marqué deux buts.",
        [("Kylian Mbappé", "PER"), ("Real Madrid", "ORG")],
        [("Kylian Mbappé", "member_of", "Real Madrid")],
    ),
    (
        "L'Allemagne, membre de l'Union européenne, a voté pour le texte.",
        [("Allemagne", "LOC"), ("Union européenne", "ORG")],
        [("Allemagne", "member_of", "Union européenne")],
    ),
    (
        "Paul Martin a adhéré à La France insoumise en 2017.",
        [("Paul Martin", "PER"), ("La France insoumise", "ORG")],
        [("Paul Martin", "member_of", "La France insoumise")],
    ),
    (
        "La CGT, affiliée à la Confédération européenne des syndicats, appelle à la grève.",
        [("CGT", "ORG"), ("Confédération européenne des syndicats", "ORG")],
        [("CGT", "member_of", "Confédération européenne des syndicats")],
    ),
    (
        "Antoine Dupont, capitaine du Stade toulousain, est blessé.",
        [("Antoine Dupont", "PER"), ("Stade toulousain", "ORG")],
        [("Antoine Dupont", "member_of", "Stade toulousain")],
    ),
    (
        "Marine Tondelier, militante des Écologistes, a répondu au ministre.",
        [("Marine Tondelier", "PER"), ("Écologistes", "ORG")],
        [("Marine Tondelier", "member_of", "Écologistes")],
    ),
    # no relation
    (
        "Brad Smith a rencontré Satya Nadella à Paris la semaine dernière.",
        [("Brad Smith", "PER"), ("Satya Nadella", "PER"), ("Paris", "LOC")],
        [],
    ),
    (
        "Microsoft et Google ont annoncé un accord à Bruxelles.",
        [("Microsoft", "ORG"), ("Google", "ORG"), ("Bruxelles", "LOC")],
        [],
    ),
    (
        "Emmanuel Macron a critiqué Amazon lors d'un discours à Lyon.",
        [("Emmanuel Macron", "PER"), ("Amazon", "ORG"), ("Lyon", "LOC")],
        [],
    ),
    (
        "Le président de Microsoft a rencontré Sundar Pichai à Paris.",
        [("Microsoft", "ORG"), ("Sundar Pichai", "PER"), ("Paris", "LOC")],
        [],
    ),
    (
        "Google a racheté Wiz, une société fondée à Tel-Aviv, pour 32 milliards.",
        [("Google", "ORG"), ("Wiz", "ORG"), ("Tel-Aviv", "LOC")],
        [],
    ),
]
