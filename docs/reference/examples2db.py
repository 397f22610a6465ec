#!/usr/bin/env python3
"""examples2db.py: the Examples chapter of the manual, made from the
programs in examples/ themselves, so the manual shows the code that CI runs.

Each example becomes a section: what it shows (the first line of its
header comment), how to run it (the command lines of that comment), and
the complete source of every language it exists in.

    examples2db.py OUTPUT.xml EXAMPLES_DIR NAME...
"""
import os
import re
import sys

LANGUAGES = [  # suffix, title, DocBook language
    ('.c', 'C', 'c'),
    ('.py', 'Python', 'python'),
    ('.js', 'JavaScript (GJS)', 'javascript'),
    ('.vala', 'Vala', 'vala'),
]


def escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def header_lines(source, suffix):
    """the lines of the header comment (C and Vala /* */, Python docstring,
    JavaScript //), without comment markers"""
    if suffix == '.py':
        m = re.search(r'"""(.*?)"""', source, re.S)
        return m.group(1).replace('\\\\\n', '\\\n').splitlines() if m else []
    if suffix == '.js':
        lines = []
        for line in source.splitlines():
            if not line.startswith('//'):
                break
            lines.append(line[3:] if line.startswith('// ') else line[2:])
        return lines
    m = re.match(r'/\*(.*?)\*/', source, re.S)
    if not m:
        return []
    return [re.sub(r'^ ?\* ?', '', line) for line in m.group(1).splitlines()]


def run_lines(lines):
    """the command lines: the indented block that starts with sudo, with its
    continuation lines"""
    out, taking = [], False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(('sudo ', 'valac ', 'curl ')):
            taking = True
        elif not stripped or not line.startswith(' '):
            taking = False
        if taking:
            out.append(stripped if not out or not out[-1].endswith('\\') else '    ' + stripped)
    return out


def main(output, examples_dir, names):
    parts = ['<?xml version="1.0"?>',
             '<!DOCTYPE refentry PUBLIC "-//OASIS//DTD DocBook XML V4.5//EN"',
             '  "http://www.oasis-open.org/docbook/xml/4.5/docbookx.dtd">',
             '<refentry id="netring-examples">',
             '<refmeta><refentrytitle>Examples</refentrytitle>'
             '<manvolnum>3</manvolnum></refmeta>',
             '<refnamediv><refname>Examples</refname><refpurpose>the programs of '
             'examples/, in C, Python, JavaScript and Vala, each run by the test suite '
             'on a veth pair with real traffic</refpurpose></refnamediv>',
             '<refsect1><title>Running them</title>',
             '<para>The C and Vala examples are built with the library, as '
             '<filename>_build/examples/example-NAME</filename> (Vala: '
             '<filename>example-NAME-vala</filename>), and never installed. The Python '
             'and JavaScript ones run from the source tree against the built typelib. '
             'Receiving and sending need <literal>CAP_NET_RAW</literal> (AF_XDP and the '
             'bridge <literal>CAP_NET_ADMIN</literal> too), hence the '
             '<command>sudo</command>:</para>',
             '<screen>sudo ./_build/examples/example-async_capture eth0 100\n'
             'sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\\n'
             '    /usr/bin/python3 examples/async_capture.py eth0 100\n'
             'sudo GI_TYPELIB_PATH=_build/netring LD_LIBRARY_PATH=_build/netring \\\n'
             '    gjs -m examples/async_stream.js eth0 100</screen>',
             '<para>Each takes the interface first and a count or a duration after it, '
             'says <literal>listening on IFACE</literal> once it is ready, and ends with '
             'the counts that <filename>tests/test_examples.py</filename> checks. To try '
             'them without touching a real network, use a private namespace with a veth '
             'pair, as <link linkend="NetringTestNetwork"><type>NetringTestNetwork</type>'
             '</link> makes.</para>',
             '</refsect1>']
    for name in names:
        files = [(suffix, title, lang, os.path.join(examples_dir, name + suffix))
                 for suffix, title, lang in LANGUAGES
                 if os.path.exists(os.path.join(examples_dir, name + suffix))]
        if not files:
            sys.exit('examples2db.py: no example named %s' % name)
        first = open(files[0][3], encoding='utf-8').read()
        lines = header_lines(first, files[0][0])
        first_paragraph = []
        for line in lines:
            if not line.strip():
                break
            first_paragraph.append(line.strip())
        summary = ' '.join(first_paragraph).split(':', 1)[-1].strip()
        parts.append('<refsect1 id="example-%s"><title>%s</title>'
                     % (name.replace('_', '-'), escape(name)))
        parts.append('<para>%s</para>' % escape(summary))
        for suffix, title, lang, path in files:
            source = open(path, encoding='utf-8').read()
            run = run_lines(header_lines(source, suffix))
            parts.append('<refsect2><title>%s: <filename>examples/%s</filename></title>'
                         % (title, escape(os.path.basename(path))))
            if run:
                parts.append('<screen>%s</screen>' % escape('\n'.join(run)))
            parts.append('<programlisting language="%s">%s</programlisting>'
                         % (lang, escape(source.rstrip('\n'))))
            parts.append('</refsect2>')
        parts.append('</refsect1>')
    parts.append('</refentry>')
    with open(output, 'w', encoding='utf-8') as f:
        f.write('\n'.join(parts) + '\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
