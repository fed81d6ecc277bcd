"""Which module registers each format, imported on first use of the format (``registry``).

A command that reads or writes doccano imports the doccano module alone, not the CoNLL and
DocBin ones, which import spaCy (about a second of start-up that such a command never needs).
"""

from annotator.io.registry import READERS, WRITERS

# One line per format, added as formats are written: name -> the module that registers it.
READER_MODULES = {
    "annotator": "annotator.io.annotator_jsonl",
    "brat": "annotator.io.brat",
    "conll": "annotator.io.conll",
    "spacy": "annotator.io.docbin",
    "doccano": "annotator.io.doccano",
    "jsonl": "annotator.io.jsonl",
    "prodigy": "annotator.io.jsonl",
    "labelstudio": "annotator.io.labelstudio",
    "text": "annotator.io.text",
}
WRITER_MODULES = {
    "annotator": "annotator.io.annotator_jsonl",
    "brat": "annotator.io.brat",
    "conll": "annotator.io.conll",
    "conll-biluo": "annotator.io.conll",
    "spacy": "annotator.io.docbin_writer",
    "doccano": "annotator.io.doccano",
    "labelstudio": "annotator.io.labelstudio",
    "prodigy": "annotator.io.prodigy_writer",
}

for _name, _module in READER_MODULES.items():
    READERS.declare(_name, _module)
for _name, _module in WRITER_MODULES.items():
    WRITERS.declare(_name, _module)
