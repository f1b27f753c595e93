"""REDCap interchange: data dictionaries to study definitions and back, and REDCap's flat record rows.

    dictionary.csv --columns--> rows --row_import--> fields --importer/studyfiles--> study folder
                                       logic_parse + logic (REDCap logic -> our expressions, via unparse)
                                       repair: load_study; logic our compiler refuses is dropped, reported
    study folder --load_study--> CompiledStudy --row_export + logic_export--> dictionary.csv (exporter)

What a dictionary says that our language cannot (a `date_dmy` display format, matrix groups, logic
without an equivalent) travels in the field's annotation as `REDCap <what>: <value>` lines
(markers.py), so exporting an imported study gives the dictionary back. `flat.py` reads and writes
one form instance in REDCap's flat record format (`var___code` checkbox columns).
"""
