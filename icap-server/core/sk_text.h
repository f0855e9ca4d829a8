/* sk_text.h - kept for files outside the toolkit branch that still include
 * it; the toolkit is sekisho/text.h (buffer, escaping, UTF-8, sizes). */
#ifndef SK_TEXT_H
#define SK_TEXT_H

#include "sekisho/text.h"

#endif
