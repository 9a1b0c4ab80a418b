/*
 * voice_words.c - what callers and peers hear, in each language peerline
 * ships (see voice_words.h). Spoken, so no segment budget: short sentences,
 * numbers as words a voice reads well.
 */
#include "voice_words.h"

#include <string.h>

static const char *const en[VW_COUNT] = {
    [VW_GREETING] = "Hello, you've reached {line}. We're trained volunteer peers, not counsellors "
                    "or emergency services.",
    [VW_MENU_ITEM] = "To talk about {topic}, press {digit}.",
    [VW_MENU_CRISIS] = "If you are in danger or thinking about ending your life, press 9.",
    [VW_MENU_AGAIN] = "Sorry, I didn't catch that.",
    [VW_FINDING] = "Thank you. We're finding a peer to talk with you about {topic}. Please stay "
                   "on the line.",
    [VW_HOLD] = "Thank you for waiting. A peer will be with you as soon as they can.",
    [VW_WHISPER] = "This is {line}. A caller would like to talk about {topic}. They have waited "
                   "{wait}. Press 1 to take the call.",
    [VW_WHISPER_CALLBACK] = "This is {line}, calling back the caller of voicemail {ref}. Their "
                            "number stays hidden. Press 1 to be connected.",
    [VW_NOT_TAKEN] = "The call was not taken. Goodbye.",
    [VW_TAKEN_ELSEWHERE] = "Someone else has taken this call. Thank you for being there.",
    [VW_CONNECTING] = "Connecting you now.",
    [VW_VOICEMAIL] = "We're sorry, no peer could answer just now. You matter, and we want to hear "
                     "from you. Please leave a message after the tone, and a peer will call you "
                     "back. You can also text this number any time.",
    [VW_VOICEMAIL_HIDDEN] = "We're sorry, no peer could answer just now. You matter, and we want "
                            "to hear from you. Your number is hidden, so we can't call you back: "
                            "leave a message after the tone if you like, and call or text this "
                            "number any time.",
    [VW_THANKS_HIDDEN] = "Thank you. Please call or text this number any time. Take care.",
    [VW_NO_MESSAGE] = "We didn't get a message. You can text this number any time to talk with a "
                      "peer. Take care.",
    [VW_THANKS_MESSAGE] = "Thank you. A peer will call you back. Take care.",
    [VW_CRISIS_CONNECT] = "Connecting you to a crisis counsellor now. Please stay on the line.",
    [VW_CRISIS_DIAL] = "Please hang up and call or text 9 8 8, the suicide and crisis lifeline, or "
                       "call {emergency} if you are in immediate danger. You matter.",
    [VW_BLOCKED] = "This line can't take your call. If you are in danger, please call or text 9 8 "
                   "8, or call {emergency}.",
    [VW_GOODBYE] = "Goodbye.",
};

static const char *const es[VW_COUNT] = {
    [VW_GREETING] = "Hola, se ha comunicado con {line}. Somos compañeros voluntarios "
                    "capacitados, no consejeros ni servicios de emergencia.",
    [VW_MENU_ITEM] = "Para hablar de {topic}, oprima {digit}.",
    [VW_MENU_CRISIS] = "Si está en peligro o pensando en quitarse la vida, oprima 9.",
    [VW_MENU_AGAIN] = "Perdón, no le entendí.",
    [VW_FINDING] = "Gracias. Estamos buscando a alguien para hablar con usted de {topic}. Por "
                   "favor, no cuelgue.",
    [VW_HOLD] = "Gracias por esperar. Alguien le atenderá en cuanto pueda.",
    [VW_WHISPER] = "Le llama {line}. Una persona quiere hablar de {topic}. Ha esperado {wait}. "
                   "Oprima 1 para tomar la llamada.",
    [VW_WHISPER_CALLBACK] = "Le llama {line} para devolver la llamada del mensaje {ref}. Su número "
                            "queda oculto. Oprima 1 para conectar.",
    [VW_NOT_TAKEN] = "No se tomó la llamada. Adiós.",
    [VW_TAKEN_ELSEWHERE] = "Otra persona ya tomó esta llamada. Gracias por estar ahí.",
    [VW_CONNECTING] = "Le conectamos ahora.",
    [VW_VOICEMAIL] = "Lo sentimos, nadie pudo contestar en este momento. Usted importa y queremos "
                     "escucharle. Deje un mensaje después del tono y alguien le devolverá la "
                     "llamada. También puede escribir a este número cuando quiera.",
    [VW_VOICEMAIL_HIDDEN] = "Lo sentimos, nadie pudo contestar en este momento. Usted importa. Su "
                            "número está oculto y no podemos devolverle la llamada: deje un "
                            "mensaje después del tono si quiere, y llame o escriba a este número "
                            "cuando quiera.",
    [VW_THANKS_HIDDEN] = "Gracias. Llame o escriba a este número cuando quiera. Cuídese.",
    [VW_NO_MESSAGE] = "No recibimos un mensaje. Puede escribir a este número cuando quiera. "
                      "Cuídese.",
    [VW_THANKS_MESSAGE] = "Gracias. Alguien le devolverá la llamada. Cuídese.",
    [VW_CRISIS_CONNECT] = "Le conectamos ahora con un consejero de crisis. Por favor, no cuelgue.",
    [VW_CRISIS_DIAL] = "Por favor, cuelgue y llame o escriba al 9 8 8, la línea de crisis y "
                       "suicidio, o llame al {emergency} si está en peligro inmediato. Usted "
                       "importa.",
    [VW_BLOCKED] = "Esta línea no puede tomar su llamada. Si está en peligro, llame o escriba al "
                   "9 8 8, o llame al {emergency}.",
    [VW_GOODBYE] = "Adiós.",
};

const char *voice_words(enum voice_word w, const char *lang)
{
    if (lang && !strcmp(lang, "es") && es[w])
        return es[w];
    return en[w];
}
