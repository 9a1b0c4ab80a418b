/*
 * voice_words.h - the spoken prompts of a call, by language (English and
 * Spanish ship; any other language is spoken in English). Templates use the
 * same {name} placeholders as texts.h and are rendered with texts_fill().
 */
#ifndef PEERLINE_VOICE_WORDS_H
#define PEERLINE_VOICE_WORDS_H

enum voice_word {
    VW_GREETING,         /* {line} */
    VW_MENU_ITEM,        /* {topic} {digit} */
    VW_MENU_CRISIS,      /* the crisis option: 9 */
    VW_MENU_AGAIN,       /* before the menu is said again */
    VW_FINDING,          /* {topic} */
    VW_HOLD,             /* while the caller waits */
    VW_WHISPER,          /* {line} {topic} {wait} */
    VW_WHISPER_CALLBACK, /* {line} {ref} */
    VW_NOT_TAKEN,
    VW_TAKEN_ELSEWHERE,
    VW_CONNECTING,
    VW_VOICEMAIL,
    VW_VOICEMAIL_HIDDEN, /* the caller's number is hidden: no call back is promised */
    VW_NO_MESSAGE,
    VW_THANKS_MESSAGE,
    VW_THANKS_HIDDEN,
    VW_CRISIS_CONNECT,
    VW_CRISIS_DIAL, /* {emergency} */
    VW_BLOCKED,     /* {emergency} */
    VW_GOODBYE,
    VW_COUNT
};

/* The template of w in lang ("en", "es"); English when lang has none. */
const char *voice_words(enum voice_word w, const char *lang);

#endif
