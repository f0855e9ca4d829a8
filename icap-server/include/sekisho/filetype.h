/* filetype.h - true file types: what an object is from its bytes (magic
 * numbers, OLE2/zip structure), the policy's type names (filetype.block)
 * and whether a declared Content-Type or file name disagrees.
 * Pure functions over caller-owned bytes; no allocation except
 * sk_ft_types_format. */
#ifndef SEKISHO_FILETYPE_H
#define SEKISHO_FILETYPE_H

#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif

#include <stddef.h>

/* What the bytes are (finer than the policy's types: the page names it). */
enum sk_ft_kind {
    SK_FT_NONE = 0, /* nothing the policy names (text, media, documents...) */
    SK_FT_PE,       /* MZ: Windows/DOS executable or DLL */
    SK_FT_ELF,
    SK_FT_MACHO, /* thin or universal */
    SK_FT_MSI,   /* OLE2 with the Windows Installer root CLSID */
    SK_FT_CAB,
    SK_FT_CLASS, /* Java class file */
    SK_FT_JAR,   /* zip with META-INF/MANIFEST.MF or .class members */
    SK_FT_SCRIPT,
    SK_FT_OLE2_MACRO,  /* OLE2 document holding a VBA project */
    SK_FT_OOXML_MACRO, /* zip document holding vbaProject.bin */
    SK_FT_ZIP,
    SK_FT_ZIP_ENCRYPTED,
    SK_FT_GZIP,
    SK_FT_BZIP2,
    SK_FT_XZ,
    SK_FT_ZSTD,
    SK_FT_7Z,
    SK_FT_RAR,
    SK_FT_TAR,
    SK_FT_ISO,
    SK_FT_DMG,
    SK_FT_VHD,
    SK_FT_VMDK,
    SK_FT_QCOW,
    SK_FT_OFFICE_ZIP, /* docx/xlsx/pptx/odt without macros: a document */
    SK_FT_NKIND
};

/* The policy's type names (filetype.block), one bit each. */
enum sk_ft_type {
    SK_FTT_EXECUTABLE = 1u << 0,
    SK_FTT_MSI = 1u << 1,
    SK_FTT_CAB = 1u << 2,
    SK_FTT_JAVA = 1u << 3,
    SK_FTT_SCRIPT = 1u << 4,
    SK_FTT_OFFICE_MACRO = 1u << 5,
    SK_FTT_ARCHIVE = 1u << 6,
    SK_FTT_ENCRYPTED_ARCHIVE = 1u << 7,
    SK_FTT_DISK_IMAGE = 1u << 8,
};
#define SK_FTT_COUNT 9

/* Name of type bit number I (0..SK_FTT_COUNT-1), e.g. "executable"; its
 * one-line description for `filetype list`. NULL past the end. */
SK_API const char *sk_ft_type_name(unsigned i);
SK_API const char *sk_ft_type_help(unsigned i);
/* A comma/space separated list of type names ("" = none) into *MASK.
 * 0, or -1 with the first unknown name copied to BAD (cut to BADSIZE-1). */
SK_API int sk_ft_types_parse(const char *list, unsigned *mask, char *bad, size_t badsize);
/* Canonical form of MASK: names in table order, comma-separated ("" for
 * 0). Caller frees; NULL out of memory. */
SK_API char *sk_ft_types_format(unsigned mask);

/* The kind of the object P[0..N) (the whole object where available: disk
 * images and OLE2 directories are found past the first bytes). NAME: the
 * declared file name or NULL; used only for scripts, which are text and
 * cannot be told from prose by their bytes. O(1) except for OLE2 objects,
 * which are searched for their VBA project stream name. */
SK_API enum sk_ft_kind sk_ft_sniff(const unsigned char *p, size_t n, const char *name);
/* A zip's kind refined by one member NAME (kind so far in CUR): a jar, a
 * macro document, an office document. */
SK_API enum sk_ft_kind sk_ft_zip_member(enum sk_ft_kind cur, const char *name);
/* libclamav's type string (pre-scan callback, "CL_TYPE_MSEXE"...) as a
 * kind; SK_FT_NONE for the types the policy does not name. */
SK_API enum sk_ft_kind sk_ft_from_clamav(const char *cl_type);
/* The policy types of KIND (a mask; 0 for SK_FT_NONE and documents). */
SK_API unsigned sk_ft_kind_types(enum sk_ft_kind);
/* What KIND is, for pages and logs: "Windows executable"; JA: Japanese. */
SK_API const char *sk_ft_kind_desc(enum sk_ft_kind, int ja);
/* Short token for logs and X-headers: "pe", "elf", "zip"... */
SK_API const char *sk_ft_kind_token(enum sk_ft_kind);
/* Does the declared CONTENT_TYPE or file NAME (either may be NULL) claim
 * a content object (text, image, audio, video, font, PDF, or such an
 * extension) while the bytes are KIND (a kind the policy names)? 1 or 0. */
SK_API int sk_ft_mismatch(enum sk_ft_kind kind, const char *content_type, const char *name);

#endif
