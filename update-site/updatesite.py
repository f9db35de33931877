#!/usr/bin/python3
"""Writes a local ImageJ update site: jars/<name>-<timestamp> files and db.xml.gz.

Standard library only. Called by make-update-site.sh; see there for usage.

Checksums follow the ImageJ updater (imagej-updater, UpdaterUtil.getDigest and
getJarDigest(file, true, true, true), the variant the updater writes today):

* .jar files: SHA-1 over all entries of the jar's central directory, sorted by
  entry name (Java String order; byte order for ASCII names). For each entry:
  the name's ASCII bytes (non-ASCII characters become '?'), then its content,
  where
  - '*.properties' entries skip lines starting with '#' (Maven writes a build
    date there), with the quirks of the updater's SkipHashedLines stream;
  - 'META-INF/MANIFEST.MF' contributes no content at all: the updater keeps
    only lines whose upper-cased text starts with "Main-Class:", which none
    does, so only the entry's name counts.
  Directory entries count with their name and empty content.
* other files: SHA-1 over the path (relative to the ImageJ folder, ASCII),
  then the file's bytes.
The checksum is lower-case hex.
"""

import argparse
import gzip
import hashlib
import os
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from xml.sax.saxutils import escape, quoteattr

DTD = """<!DOCTYPE pluginRecords [
<!ELEMENT pluginRecords ((update-site | disabled-update-site)*, plugin*)>
<!ELEMENT update-site EMPTY>
<!ELEMENT disabled-update-site EMPTY>
<!ELEMENT plugin (platform*, category*, version?, previous-version*)>
<!ELEMENT version (description?, dependency*, link*, author*)>
<!ELEMENT previous-version EMPTY>
<!ELEMENT description (#PCDATA)>
<!ELEMENT dependency EMPTY>
<!ELEMENT link (#PCDATA)>
<!ELEMENT author (#PCDATA)>
<!ELEMENT platform (#PCDATA)>
<!ELEMENT category (#PCDATA)>
<!ATTLIST update-site name CDATA #REQUIRED>
<!ATTLIST update-site url CDATA #REQUIRED>
<!ATTLIST update-site ssh-host CDATA #IMPLIED>
<!ATTLIST update-site upload-directory CDATA #IMPLIED>
<!ATTLIST update-site description CDATA #IMPLIED>
<!ATTLIST update-site maintainer CDATA #IMPLIED>
<!ATTLIST update-site timestamp CDATA #REQUIRED>
<!ATTLIST disabled-update-site name CDATA #REQUIRED>
<!ATTLIST disabled-update-site url CDATA #REQUIRED>
<!ATTLIST disabled-update-site ssh-host CDATA #IMPLIED>
<!ATTLIST disabled-update-site upload-directory CDATA #IMPLIED>
<!ATTLIST disabled-update-site description CDATA #IMPLIED>
<!ATTLIST disabled-update-site maintainer CDATA #IMPLIED>
<!ATTLIST disabled-update-site timestamp CDATA #REQUIRED>
<!ATTLIST plugin update-site CDATA #IMPLIED>
<!ATTLIST plugin filename CDATA #REQUIRED>
<!ATTLIST plugin executable CDATA #IMPLIED>
<!ATTLIST dependency filename CDATA #REQUIRED>
<!ATTLIST dependency timestamp CDATA #IMPLIED>
<!ATTLIST dependency overrides CDATA #IMPLIED>
<!ATTLIST version timestamp CDATA #REQUIRED>
<!ATTLIST version checksum CDATA #REQUIRED>
<!ATTLIST version filesize CDATA #REQUIRED>
<!ATTLIST previous-version filename CDATA #IMPLIED>
<!ATTLIST previous-version timestamp CDATA #REQUIRED>
<!ATTLIST previous-version timestamp-obsolete CDATA #IMPLIED>
<!ATTLIST previous-version checksum CDATA #REQUIRED>]>
"""


def skip_hashed_lines(data):
    """Port of the updater's SkipHashedLines: drops '#' lines of .properties.

    Reproduces its state machine exactly, including that a '#' line's
    newline is kept and that an empty '#' line leaves the stream outside
    line start (so a directly following '#' line is kept).
    """
    out = bytearray()
    pos = 0
    at_line_start = True

    def raw():
        nonlocal pos
        if pos >= len(data):
            return -1
        ch = data[pos]
        pos += 1
        return ch

    def read():
        nonlocal at_line_start
        ch = raw()
        if at_line_start:
            if ch == ord('#'):
                while True:
                    ch = read()
                    if ch == ord('\n') or ch == -1:
                        break
            else:
                at_line_start = False
        elif ch == ord('\n'):
            at_line_start = True
        return ch

    while True:
        ch = read()
        if ch < 0:
            return bytes(out)
        out.append(ch)


def java_ascii(name):
    return name.encode('ascii', errors='replace')


def java_sort_key(name):
    # Java's String.compareTo compares UTF-16 code units
    return name.encode('utf-16-be')


def jar_checksum(path):
    digest = hashlib.sha1()
    with zipfile.ZipFile(path) as jar:
        infos = sorted(jar.infolist(), key=lambda i: java_sort_key(i.filename))
        for info in infos:
            name = info.filename
            digest.update(java_ascii(name))
            if name == 'META-INF/MANIFEST.MF':
                continue  # the updater keeps none of the manifest's lines
            data = jar.read(info)
            if name.endswith('.properties'):
                data = skip_hashed_lines(data)
            digest.update(data)
    return digest.hexdigest()


def file_checksum(relpath, path):
    if relpath.endswith('.jar'):
        return jar_checksum(path)
    digest = hashlib.sha1()
    digest.update(java_ascii(relpath))
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(65536), b''):
            digest.update(block)
    return digest.hexdigest()


VERSIONED = re.compile(r'^(.*?)(-[0-9][^/]*?)?(\.jar)$')


def unversioned(filename):
    """jars/voxelseg-0.1.0-SNAPSHOT.jar -> jars/voxelseg.jar (how the updater matches files)."""
    m = VERSIONED.match(filename)
    return m.group(1) + m.group(3) if m else filename


class Record:
    def __init__(self, filename):
        self.filename = filename
        self.checksum = None
        self.timestamp = None
        self.filesize = None
        self.description = None
        self.dependencies = []  # (filename, timestamp)
        self.authors = []
        self.links = []
        self.platforms = []  # e.g. ['win64']: installed only there
        self.previous = []  # dicts of attributes


def read_db(path):
    records = {}
    if not os.path.exists(path):
        return records
    with gzip.open(path, 'rb') as f:
        root = ET.parse(f).getroot()
    for p in root.findall('plugin'):
        r = Record(p.get('filename'))
        v = p.find('version')
        if v is not None:
            r.checksum = v.get('checksum')
            r.timestamp = v.get('timestamp')
            r.filesize = v.get('filesize')
            d = v.find('description')
            r.description = d.text if d is not None else None
            r.dependencies = [(d.get('filename'), d.get('timestamp'))
                              for d in v.findall('dependency')]
            r.authors = [a.text for a in v.findall('author')]
            r.links = [a.text for a in v.findall('link')]
        r.platforms = [pl.text for pl in p.findall('platform')]
        r.previous = [dict(pv.attrib) for pv in p.findall('previous-version')]
        records[unversioned(r.filename)] = r
    return records


def write_db(path, records):
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', DTD + '<pluginRecords>']
    for key in sorted(records):
        r = records[key]
        lines.append('    <plugin filename=%s>' % quoteattr(r.filename))
        for pl in r.platforms:
            lines.append('        <platform>%s</platform>' % escape(pl))
        if r.checksum:
            lines.append('        <version checksum=%s filesize=%s timestamp=%s>' % (
                quoteattr(r.checksum), quoteattr(str(r.filesize)), quoteattr(str(r.timestamp))))
            if r.description:
                lines.append('            <description>%s</description>' % escape(r.description))
            for fn, ts in r.dependencies:
                lines.append('            <dependency filename=%s timestamp=%s/>' % (
                    quoteattr(fn), quoteattr(str(ts))))
            for link in r.links:
                lines.append('            <link>%s</link>' % escape(link))
            for author in r.authors:
                lines.append('            <author>%s</author>' % escape(author))
            lines.append('        </version>')
        for pv in r.previous:
            attrs = ''.join(' %s=%s' % (k, quoteattr(pv[k]))
                            for k in ('timestamp', 'timestamp-obsolete', 'checksum', 'filename')
                            if k in pv)
            lines.append('        <previous-version%s/>' % attrs)
        lines.append('    </plugin>')
    lines.append('</pluginRecords>')
    data = ('\n'.join(lines) + '\n').encode('utf-8')
    tmp = path + '.tmp'
    with open(tmp, 'wb') as raw:
        # mtime 0: the same records give the same db.xml.gz bytes
        with gzip.GzipFile(filename='', mode='wb', fileobj=raw, mtime=0) as f:
            f.write(data)
    os.replace(tmp, path)


def obsolete(records, key, timestamp):
    """Marks the record under key obsolete (its version becomes a previous version), as the
    updater does for a file removed from a site."""
    r = records.get(key)
    if r is None or not r.checksum:
        return
    pv = {'timestamp': str(r.timestamp), 'timestamp-obsolete': str(timestamp), 'checksum': r.checksum}
    r.previous.insert(0, pv)
    r.checksum = r.timestamp = r.filesize = r.description = None
    r.dependencies, r.authors, r.links = [], [], []


def add_file(site, records, src, timestamp, description, deps, authors, links, platform=None):
    """Adds src as jars/<basename>, or jars/<platform>/<basename> for a platform's native jar
    (installed only on that platform, where the launcher puts it on the class path); returns
    (filename, timestamp) of the current version."""
    filename = 'jars/' + (platform + '/' if platform else '') + os.path.basename(src)
    key = unversioned(filename)
    if platform:
        # the same library once shipped for every platform is now one platform's: retire that record
        obsolete(records, unversioned('jars/' + os.path.basename(src)), timestamp)
    checksum = file_checksum(filename, src)
    old = records.get(key)
    if old is not None and old.checksum == checksum:
        # unchanged: the updater would not upload it again
        old.description = description or old.description
        old.dependencies = deps or old.dependencies
        return old.filename, old.timestamp, False
    r = Record(filename)
    if old is not None:
        r.previous = list(old.previous)
        if old.checksum:
            pv = {'timestamp': str(old.timestamp), 'timestamp-obsolete': str(timestamp),
                  'checksum': old.checksum}
            if old.filename != filename:
                pv['filename'] = old.filename
            r.previous.insert(0, pv)
    r.checksum = checksum
    r.timestamp = timestamp
    r.filesize = os.path.getsize(src)
    r.description = description
    r.dependencies = deps
    r.authors = authors
    r.links = links
    r.platforms = [platform] if platform else []
    os.makedirs(os.path.dirname(os.path.join(site, filename)), exist_ok=True)
    shutil.copyfile(src, os.path.join(site, filename + '-' + timestamp))
    records[key] = r
    return filename, timestamp, True


def main(argv):
    # the SkipHashedLines port recurses once per leading '#' of a line, as the Java original
    sys.setrecursionlimit(20000)
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--site', required=True, help='update site folder (created if missing)')
    ap.add_argument('--timestamp', default=time.strftime('%Y%m%d%H%M%S'),
                    help='YYYYMMDDhhmmss, local time like the updater (default: now)')
    ap.add_argument('--description', default=None)
    ap.add_argument('--author', action='append', default=[])
    ap.add_argument('--link', action='append', default=[])
    ap.add_argument('jar', help='the plugin jar')
    ap.add_argument('deps', nargs='*', help='runtime dependencies Fiji does not ship')
    ap.add_argument('--platform-dep', action='append', default=[], metavar='PLATFORM=JAR',
                    help="a platform's native dependency, e.g. win64=pytorch-native-cpu-2.7.1-win-x86_64.jar")
    a = ap.parse_args(argv)
    known = {'linux32', 'linux64', 'linux-arm64', 'macos64', 'macos-arm64', 'win32', 'win64', 'win-arm64'}
    platform_deps = []
    for spec in a.platform_dep:
        pl, _, path = spec.partition('=')
        if pl not in known or not path:
            ap.error('--platform-dep needs PLATFORM=JAR with PLATFORM one of %s, got %s' % (', '.join(sorted(known)), spec))
        platform_deps.append((pl, path))
    if not re.fullmatch(r'[0-9]{14}', a.timestamp):
        ap.error('timestamp must be YYYYMMDDhhmmss, got ' + a.timestamp)
    for f in [a.jar] + a.deps + [path for _, path in platform_deps]:
        if not f.endswith('.jar'):
            ap.error('not a .jar file: ' + f)
        if not zipfile.is_zipfile(f):
            ap.error('not a readable jar: ' + f)
    os.makedirs(a.site, exist_ok=True)
    db = os.path.join(a.site, 'db.xml.gz')
    records = read_db(db)
    deps = []
    for d in a.deps:
        fn, ts, new = add_file(a.site, records, d, a.timestamp, None, [], [], [])
        deps.append((fn, ts))
        print(('added   ' if new else 'kept    ') + fn + '-' + str(ts))
    for pl, d in platform_deps:
        fn, ts, new = add_file(a.site, records, d, a.timestamp, None, [], [], [], pl)
        deps.append((fn, ts))
        print(('added   ' if new else 'kept    ') + fn + '-' + str(ts) + ' (' + pl + ')')
    fn, ts, new = add_file(a.site, records, a.jar, a.timestamp, a.description, deps, a.author,
                           a.link)
    print(('added   ' if new else 'kept    ') + fn + '-' + str(ts))
    write_db(db, records)
    print('wrote   ' + db)


if __name__ == '__main__':
    main(sys.argv[1:])
