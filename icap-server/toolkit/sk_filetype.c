/* sk_filetype.c - true file types from an object's bytes (sekisho/filetype.h):
 * a magic table, the OLE2 root CLSID (MSI) and VBA stream name (macros),
 * zip member names (jar, macro documents), and the declared-type mismatch.
 * SECURITY: client/origin-controlled bytes; every offset read is checked
 * against N first, header fields are never used to allocate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sekisho/filetype.h"
#include "sekisho/text.h"

static const struct {
    const char *name, *help;
} sk_ft_types[SK_FTT_COUNT] = {
    {"executable", "programs: Windows PE (exe, dll, sys), Linux ELF, macOS Mach-O"},
    {"msi", "Windows Installer packages (msi, msp)"},
    {"cab", "Microsoft cabinet archives"},
    {"java", "Java class files and jar archives"},
    {"script", "scripts: #! first line, or a bat/cmd/ps1/vbs/vbe/jse/wsf/wsh/hta/sh name"},
    {"office-macro", "Office documents with VBA macros (OLE2 doc/xls/ppt, docm/xlsm/pptm)"},
    {"archive", "archives and compressed files: zip, gzip, bzip2, xz, zstd, 7z, rar, tar"},
    {"encrypted-archive", "zip archives with encrypted members"},
    {"disk-image", "disk images: ISO 9660/UDF, DMG, VHD/VHDX, VMDK, QCOW"},
};

static const struct {
    const char *token, *en, *ja;
    unsigned types;
} sk_ft_kinds[SK_FT_NKIND] = {
    [SK_FT_NONE] = {"none", "file", "ファイル", 0},
    [SK_FT_PE] = {"pe", "Windows executable", "Windows 実行ファイル", SK_FTT_EXECUTABLE},
    [SK_FT_ELF] = {"elf", "Linux/Unix executable (ELF)", "Linux/Unix 実行ファイル (ELF)",
                   SK_FTT_EXECUTABLE},
    [SK_FT_MACHO] = {"macho", "macOS executable (Mach-O)", "macOS 実行ファイル (Mach-O)",
                     SK_FTT_EXECUTABLE},
    [SK_FT_MSI] = {"msi", "Windows Installer package", "Windows インストーラー パッケージ",
                   SK_FTT_MSI},
    [SK_FT_CAB] = {"cab", "Microsoft cabinet archive", "Microsoft キャビネット アーカイブ",
                   SK_FTT_CAB},
    [SK_FT_CLASS] = {"java-class", "Java class file", "Java クラス ファイル", SK_FTT_JAVA},
    [SK_FT_JAR] = {"jar", "Java archive (JAR)", "Java アーカイブ (JAR)", SK_FTT_JAVA},
    [SK_FT_SCRIPT] = {"script", "script", "スクリプト", SK_FTT_SCRIPT},
    [SK_FT_OLE2_MACRO] = {"ole2-macro", "Office document with macros", "マクロを含む Office 文書",
                          SK_FTT_OFFICE_MACRO},
    [SK_FT_OOXML_MACRO] = {"ooxml-macro", "Office document with macros", "マクロを含む Office 文書",
                           SK_FTT_OFFICE_MACRO},
    [SK_FT_ZIP] = {"zip", "zip archive", "zip アーカイブ", SK_FTT_ARCHIVE},
    [SK_FT_ZIP_ENCRYPTED] = {"zip-encrypted", "encrypted zip archive",
                             "暗号化された zip アーカイブ",
                             SK_FTT_ARCHIVE | SK_FTT_ENCRYPTED_ARCHIVE},
    [SK_FT_GZIP] = {"gzip", "gzip compressed file", "gzip 圧縮ファイル", SK_FTT_ARCHIVE},
    [SK_FT_BZIP2] = {"bzip2", "bzip2 compressed file", "bzip2 圧縮ファイル", SK_FTT_ARCHIVE},
    [SK_FT_XZ] = {"xz", "xz compressed file", "xz 圧縮ファイル", SK_FTT_ARCHIVE},
    [SK_FT_ZSTD] = {"zstd", "zstd compressed file", "zstd 圧縮ファイル", SK_FTT_ARCHIVE},
    [SK_FT_7Z] = {"7z", "7-Zip archive", "7-Zip アーカイブ", SK_FTT_ARCHIVE},
    [SK_FT_RAR] = {"rar", "RAR archive", "RAR アーカイブ", SK_FTT_ARCHIVE},
    [SK_FT_TAR] = {"tar", "tar archive", "tar アーカイブ", SK_FTT_ARCHIVE},
    [SK_FT_ISO] = {"iso", "CD/DVD disk image (ISO)", "CD/DVD ディスク イメージ (ISO)",
                   SK_FTT_DISK_IMAGE},
    [SK_FT_DMG] = {"dmg", "macOS disk image (DMG)", "macOS ディスク イメージ (DMG)",
                   SK_FTT_DISK_IMAGE},
    [SK_FT_VHD] = {"vhd", "virtual hard disk (VHD)", "仮想ハード ディスク (VHD)",
                   SK_FTT_DISK_IMAGE},
    [SK_FT_VMDK] = {"vmdk", "VMware disk image", "VMware ディスク イメージ", SK_FTT_DISK_IMAGE},
    [SK_FT_QCOW] = {"qcow", "QEMU disk image", "QEMU ディスク イメージ", SK_FTT_DISK_IMAGE},
    [SK_FT_OFFICE_ZIP] = {"office", "Office document", "Office 文書", 0},
};

const char *sk_ft_type_name(unsigned i)
{
    return i < SK_FTT_COUNT ? sk_ft_types[i].name : NULL;
}

const char *sk_ft_type_help(unsigned i)
{
    return i < SK_FTT_COUNT ? sk_ft_types[i].help : NULL;
}

int sk_ft_types_parse(const char *list, unsigned *mask, char *bad, size_t badsize)
{
    unsigned m = 0;

    while (list && *list) {
        size_t n = strcspn(list, ", \t");
        unsigned i;

        for (i = 0; n && i < SK_FTT_COUNT; i++)
            if (strlen(sk_ft_types[i].name) == n && strncasecmp(list, sk_ft_types[i].name, n) == 0)
                break;
        if (n && i == SK_FTT_COUNT) {
            if (bad && badsize) {
                size_t k = n < badsize - 1 ? n : badsize - 1;
                memcpy(bad, list, k);
                bad[k] = '\0';
            }
            return -1;
        }
        if (n)
            m |= 1u << i;
        list += n;
        list += strspn(list, ", \t");
    }
    *mask = m;
    return 0;
}

char *sk_ft_types_format(unsigned mask)
{
    struct sk_buf b = {0};

    for (unsigned i = 0; i < SK_FTT_COUNT; i++)
        if (mask & (1u << i))
            if ((b.len && sk_buf_puts(&b, ",") == -1) || sk_buf_puts(&b, sk_ft_types[i].name) == -1)
                goto fail;
    if (b.data == NULL)
        return strdup("");
    return b.data;
fail:
    sk_buf_free(&b);
    return NULL;
}

static int sk_ft_at(const unsigned char *p, size_t n, size_t off, const char *magic, size_t len)
{
    return off <= n && len <= n - off && memcmp(p + off, magic, len) == 0;
}

static uint32_t sk_ft_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t sk_ft_be32(const unsigned char *p)
{
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* OLE2 (compound file): an MSI by its root entry's CLSID (installer,
 * patch, transform: 000C1084/1086/1082-0000-0000-C000-000000000046), a
 * macro document by a "_VBA_PROJECT" stream name (UTF-16LE) anywhere in
 * its directory. Other OLE2 files are documents. */
static enum sk_ft_kind sk_ft_ole2(const unsigned char *p, size_t n)
{
    static const unsigned char vba[] = "_\0V\0B\0A\0_\0P\0R\0O\0J\0E\0C\0T\0";
    static const unsigned char tail[12] = {0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46};
    unsigned shift;
    uint64_t dir;

    if (n >= 0x34) {
        shift = (unsigned)p[0x1e] | (unsigned)p[0x1f] << 8;
        if (shift == 9 || shift == 12) {
            dir = ((uint64_t)sk_ft_le32(p + 0x30) + 1) << shift;
            if (dir <= n && n - dir >= 0x60) {
                const unsigned char *c = p + dir + 0x50;
                if (c[1] == 0x10 && c[2] == 0x0c && c[3] == 0 &&
                    (c[0] == 0x84 || c[0] == 0x86 || c[0] == 0x82) &&
                    memcmp(c + 4, tail, sizeof(tail)) == 0)
                    return SK_FT_MSI;
            }
        }
    }
    return memmem(p, n, vba, sizeof(vba) - 1) ? SK_FT_OLE2_MACRO : SK_FT_NONE;
}

static int sk_ft_ext_in(const char *name, const char *const *exts)
{
    const char *dot, *slash;

    if (!name)
        return 0;
    slash = strrchr(name, '/');
    dot = strrchr(slash ? slash : name, '.');
    if (!dot || !dot[1])
        return 0;
    for (; *exts; exts++)
        if (strcasecmp(dot + 1, *exts) == 0)
            return 1;
    return 0;
}

/* .js is left out: every web page loads JavaScript as text/javascript. */
static const char *const sk_ft_script_exts[] = {"bat", "cmd", "ps1", "psm1", "vbs", "vbe",
                                                "jse", "wsf", "wsh", "hta",  "sh",  NULL};

enum sk_ft_kind sk_ft_sniff(const unsigned char *p, size_t n, const char *name)
{
    static const struct {
        const char *magic;
        size_t len, off;
        enum sk_ft_kind kind;
    } tab[] = {
        {"\x7f"
         "ELF",
         4, 0, SK_FT_ELF},
        {"\xfe\xed\xfa\xce", 4, 0, SK_FT_MACHO},
        {"\xfe\xed\xfa\xcf", 4, 0, SK_FT_MACHO},
        {"\xce\xfa\xed\xfe", 4, 0, SK_FT_MACHO},
        {"\xcf\xfa\xed\xfe", 4, 0, SK_FT_MACHO},
        {"MSCF\0\0\0\0", 8, 0, SK_FT_CAB},
        {"PK\x05\x06", 4, 0, SK_FT_ZIP},
        {"\x1f\x8b", 2, 0, SK_FT_GZIP},
        {"BZh", 3, 0, SK_FT_BZIP2},
        {"\xfd"
         "7zXZ\0",
         6, 0, SK_FT_XZ},
        {"\x28\xb5\x2f\xfd", 4, 0, SK_FT_ZSTD},
        {"7z\xbc\xaf\x27\x1c", 6, 0, SK_FT_7Z},
        {"Rar!\x1a\x07", 6, 0, SK_FT_RAR},
        {"ustar", 5, 257, SK_FT_TAR},
        {"CD001", 5, 0x8001, SK_FT_ISO},
        {"BEA01", 5, 0x8001, SK_FT_ISO}, /* UDF */
        {"conectix", 8, 0, SK_FT_VHD},
        {"vhdxfile", 8, 0, SK_FT_VHD},
        {"KDMV", 4, 0, SK_FT_VMDK},
        {"# Disk DescriptorFile", 21, 0, SK_FT_VMDK},
        {"QFI\xfb", 4, 0, SK_FT_QCOW},
    };

    if (n >= 2 && p[0] == 'M' && p[1] == 'Z')
        return SK_FT_PE; /* as libclamav's CL_TYPE_MSEXE: DOS stubs are programs too */
    if (n >= 8 && sk_ft_be32(p) == 0xcafebabeu)
        /* Mach-O universal counts its architectures (a few); a class file
         * has its version there (major >= 45) */
        return sk_ft_be32(p + 4) < 0x20 ? SK_FT_MACHO : SK_FT_CLASS;
    if (sk_ft_at(p, n, 0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))
        return sk_ft_ole2(p, n);
    if (sk_ft_at(p, n, 0, "PK\x03\x04", 4))
        return n >= 8 && (p[6] & 1) ? SK_FT_ZIP_ENCRYPTED : SK_FT_ZIP;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (sk_ft_at(p, n, tab[i].off, tab[i].magic, tab[i].len))
            return tab[i].kind;
    if (n >= 512 && (memcmp(p + n - 512, "koly", 4) == 0))
        return SK_FT_DMG;
    if (n >= 512 && memcmp(p + n - 512, "conectix", 8) == 0)
        return SK_FT_VHD; /* fixed VHD: footer only */
    if (sk_ft_at(p, n, 0, "#!", 2) || sk_ft_ext_in(name, sk_ft_script_exts))
        return SK_FT_SCRIPT;
    return SK_FT_NONE;
}

enum sk_ft_kind sk_ft_zip_member(enum sk_ft_kind cur, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    const char *base = name ? strrchr(name, '/') : NULL;

    base = base ? base + 1 : name;
    if (!name || (cur != SK_FT_ZIP && cur != SK_FT_JAR && cur != SK_FT_OFFICE_ZIP))
        return cur; /* encrypted stays encrypted, a macro document stays one */
    if (strcasecmp(base, "vbaProject.bin") == 0)
        return SK_FT_OOXML_MACRO;
    if (strcmp(name, "[Content_Types].xml") == 0 || strcmp(name, "mimetype") == 0)
        return SK_FT_OFFICE_ZIP;
    if (cur == SK_FT_ZIP && (strcasecmp(name, "META-INF/MANIFEST.MF") == 0 ||
                             (n > 6 && strcasecmp(name + n - 6, ".class") == 0)))
        return SK_FT_JAR;
    return cur;
}

enum sk_ft_kind sk_ft_from_clamav(const char *t)
{
    static const struct {
        const char *name;
        enum sk_ft_kind kind;
    } map[] = {
        {"CL_TYPE_MSEXE", SK_FT_PE},    {"CL_TYPE_ELF", SK_FT_ELF},
        {"CL_TYPE_MACHO", SK_FT_MACHO}, {"CL_TYPE_MACHO_UNIBIN", SK_FT_MACHO},
        {"CL_TYPE_MSCAB", SK_FT_CAB},   {"CL_TYPE_ISHIELD_MSI", SK_FT_MSI},
        {"CL_TYPE_JAVA", SK_FT_CLASS},  {"CL_TYPE_ZIP", SK_FT_ZIP},
        {"CL_TYPE_GZ", SK_FT_GZIP},     {"CL_TYPE_BZ", SK_FT_BZIP2},
        {"CL_TYPE_XZ", SK_FT_XZ},       {"CL_TYPE_7Z", SK_FT_7Z},
        {"CL_TYPE_RAR", SK_FT_RAR},     {"CL_TYPE_POSIX_TAR", SK_FT_TAR},
        {"CL_TYPE_OLD_TAR", SK_FT_TAR}, {"CL_TYPE_ISO9660", SK_FT_ISO},
        {"CL_TYPE_UDF", SK_FT_ISO},     {"CL_TYPE_DMG", SK_FT_DMG},
    };

    for (size_t i = 0; t && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(t, map[i].name) == 0)
            return map[i].kind;
    return SK_FT_NONE;
}

unsigned sk_ft_kind_types(enum sk_ft_kind k)
{
    return (unsigned)k < SK_FT_NKIND ? sk_ft_kinds[k].types : 0;
}

const char *sk_ft_kind_desc(enum sk_ft_kind k, int ja)
{
    if ((unsigned)k >= SK_FT_NKIND)
        k = SK_FT_NONE;
    return ja ? sk_ft_kinds[k].ja : sk_ft_kinds[k].en;
}

const char *sk_ft_kind_token(enum sk_ft_kind k)
{
    return (unsigned)k < SK_FT_NKIND ? sk_ft_kinds[k].token : "none";
}

int sk_ft_mismatch(enum sk_ft_kind kind, const char *ct, const char *name)
{
    static const char *const content_types[] = {
        "text/", "image/",          "audio/",           "video/",
        "font/", "application/pdf", "application/json", NULL};
    static const char *const content_exts[] = {
        "txt",  "text", "log", "csv", "json", "xml", "html", "htm", "css",  "md",  "jpg",
        "jpeg", "png",  "gif", "bmp", "webp", "svg", "ico",  "tif", "tiff", "mp3", "mp4",
        "m4a",  "wav",  "ogg", "avi", "mov",  "mkv", "webm", "pdf", "rtf",  NULL};

    /* scripts are text: declared as text is what they are */
    if (sk_ft_kind_types(kind) == 0 || kind == SK_FT_SCRIPT)
        return 0;
    if (ct) {
        ct += strspn(ct, " \t");
        for (const char *const *c = content_types; *c; c++)
            if (strncasecmp(ct, *c, strlen(*c)) == 0)
                return 1;
    }
    return sk_ft_ext_in(name, content_exts);
}
