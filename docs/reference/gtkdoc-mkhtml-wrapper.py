#!/usr/bin/env python3
# gtkdoc-mkhtml-wrapper.py ARGS…: runs gtkdoc-mkhtml ARGS…, then fixes the
# title of the manual's front page. gtk-doc titles every page "PAGE: BOOK",
# so the front page, whose page title is the book's, reads "BOOK: BOOK".
# Meson runs this in place of gtkdoc-mkhtml (meson.override_find_program in
# docs/reference/meson.build), in the html directory that mkhtml writes to.
import re
import shutil
import subprocess
import sys

mkhtml = shutil.which('gtkdoc-mkhtml')
if mkhtml is None:
    sys.exit('gtkdoc-mkhtml not found')
status = subprocess.call([mkhtml] + sys.argv[1:])
if status != 0:
    sys.exit(status)

with open('index.html', encoding='utf-8') as f:
    html = f.read()
fixed = re.sub(r'<title>(.+?): \1</title>', r'<title>\1</title>', html, count=1)
if fixed != html:
    with open('index.html', 'w', encoding='utf-8') as f:
        f.write(fixed)
