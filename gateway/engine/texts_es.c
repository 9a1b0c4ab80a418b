/*
 * texts_es.c - the Spanish templates, written as a native speaker would
 * text: tú, short sentences, the same placeholders as English. With
 * accents they are sent as UCS-2, so each fits two segments (134
 * characters) with the longest names filled in; STOP, END, QUIT, HELP, BYE
 * and the # commands stay as they are, since carriers and peerline read them
 * in English.
 */
#include "texts_priv.h"

const char *const texts_es[TX_COUNT] = {
    [TX_WELCOME] = "{line}: voluntarios capacitados, no terapeutas ni servicios de emergencia. BYE "
                   "termina el chat; STOP/END/QUIT paran todo; HELP ayuda.",
    [TX_MENU] = "¿De qué te gustaría hablar? Responde con un número: {menu}.{switch}",
    [TX_MENU_AGAIN] = "Perdón, no entendí. Responde con un número: {menu}.{switch}",
    [TX_QUEUED] = "Gracias. Eres el número {position} en la fila para {topic}. Un par te escribirá "
                  "aquí apenas esté libre.",
    [TX_STILL_QUEUED] =
        "Sigues en el lugar {position} de la fila. Tu par leerá tus mensajes cuando se conecte.",
    [TX_LEFT_QUEUE] = "Listo, saliste de la fila. Escríbenos cuando quieras. STOP/END/QUIT paran "
                      "todos los mensajes.",
    [TX_NOT_IN_CHAT] = "Ahora no estás en un chat. Escribe lo que sea para hablar con un par.",
    [TX_INTRO_TEXTER] = "Ya estás con {peer}, par voluntario capacitado. Responde aquí. BYE "
                        "termina el chat; STOP/END/QUIT paran todo.",
    [TX_INTRO_PEER] = "Conectado. Siguen sus mensajes hasta ahora. Responde aquí. #end cierra el "
                      "chat; #help da los comandos.",
    [TX_OFFER] = "Chat nuevo: {topic}, {lang}, espera {wait}. #take para aceptar o #pass para "
                 "pasar. Vence en {expires}.",
    [TX_OFFER_WAITING] = "Responde #take para aceptar este chat o #pass para pasar. Nada llega a "
                         "la persona antes de #take.",
    [TX_OFFER_GONE] = "Esa solicitud venció y volvió a la fila. Gracias.",
    [TX_OFFER_WITHDRAWN] = "Esa solicitud se retiró. Gracias.",
    [TX_PASSED] = "Listo, la pasaste. Gracias.",
    [TX_ALREADY_IN_CHAT] = "Ya estás en este chat. Responde aquí; #end lo cierra.",
    [TX_BYE_TEXTER] = "Chat terminado. Gracias por escribir. Escríbenos cuando quieras. "
                      "STOP/END/QUIT paran todos los mensajes.",
    [TX_TEXTER_LEFT] =
        "La persona terminó el chat. Gracias. Las respuestas a este número ya no se entregan.",
    [TX_END_TEXTER] = "{peer} terminó el chat. Gracias por escribir. Escríbenos cuando quieras. "
                      "STOP/END/QUIT paran todo.",
    [TX_END_PEER] = "Chat cerrado. Gracias. Las respuestas a este número ya no se entregan.",
    [TX_CLOSED_NUMBER] = "Este chat terminó y las respuestas aquí ya no se entregan. Escribe #help "
                         "para ver los comandos.",
    [TX_STOP_CONFIRM] = "No recibirás más mensajes de {line}. ¿Peligro? Llama o escribe al "
                        "{crisis_line} o llama al {emergency}. START para volver.",
    [TX_START_CONFIRM] = "Bienvenido de nuevo a {line}. Escribe para hablar con un par. BYE "
                         "termina un chat; STOP/END/QUIT paran todo.",
    [TX_HELP] = "{line}: apoyo entre pares, gratis. BYE termina un chat; STOP/END/QUIT paran todo. "
                "¿Peligro? {crisis_line} o {emergency}.",
    [TX_PEER_HELP] = "Comandos: #take #pass #end #transfer [tema] #escalate [nota] #note TEXTO "
                     "#res [ID] #debrief #on [2h] #off #status. El resto va a la persona.",
    [TX_PEER_STEPPED_AWAY] = "Tu par tuvo que irse. Eres el primero en la fila para el siguiente "
                             "par, que te escribirá aquí.",
    [TX_RELAY_FAILED_TEXTER] =
        "Perdón, tu último mensaje no llegó a tu par. Por favor, envíalo de nuevo.",
    [TX_RELAY_FAILED_PEER] = "Tu último mensaje no llegó a la persona.",
    [TX_POOL_STRANGER] =
        "Este número no recibe mensajes. Para hablar con {line}, escribe al {line_number}.",
    [TX_NO_PICTURES] =
        "Las imágenes no se pasan, solo el texto. Por favor, descríbela con palabras.",
    [TX_PICTURE_NOT_PASSED] = "(Mandó una imagen. Las imágenes no se pasan.)",
    [TX_CLOSED_BY_LINE] = "Los coordinadores cerraron este chat. Gracias. Las respuestas a este "
                          "número ya no se entregan.",
    [TX_TEXTER_UNREACHABLE] =
        "La persona ya no puede recibir mensajes, así que el chat terminó. Gracias.",
    [TX_TROUBLE] = "Perdón, algo falló de nuestro lado. Escribe de nuevo. Si corres peligro, llama "
                   "o escribe al {crisis_line} o llama al {emergency}.",
    [TX_QUEUED_ESTIMATE] = "Gracias. Eres el número {position} en la fila para {topic}. Hace poco "
                           "la espera fue de unos {wait}.",
    [TX_QUEUED_NO_SHIFT] = "Gracias. Ahora no hay pares de turno; el próximo turno empieza en unos "
                           "{when}. Eres el número {position} en la fila.",
    [TX_QUEUED_NO_ONE] = "Gracias. Ahora no hay pares de turno. ¿Peligro? Llama o escribe al "
                         "{crisis_line} o llama al {emergency}. Eres el {position} en la fila.",
    [TX_QUEUE_UPDATE] = "Sigues en el lugar {position} de la fila. Un par te escribirá aquí apenas "
                        "esté libre. BYE para salir.",
    [TX_QUEUE_UPDATE_ESTIMATE] =
        "Sigues en el lugar {position} de la fila. Hace poco la espera fue de unos {wait}.",
    [TX_UPDATE_NO_SHIFT] = "Sigues en el lugar {position} de la fila. No hay pares de turno; el "
                           "próximo turno empieza en unos {when}.",
    [TX_UPDATE_NO_ONE] = "Sigues en el lugar {position}. No hay pares de turno. ¿Peligro? Llama o "
                         "escribe al {crisis_line} o llama al {emergency}.",
    [TX_MAX_WAIT] = "Todavía no hay nadie libre; perdón por la espera. ¿Peligro? {crisis_line} o "
                    "{emergency}. Conservas tu lugar; BYE para salir.",
    [TX_NUDGE_PEER] =
        "La persona espera tu respuesta. Responde aquí, o #transfer para pasarla, o #end.",
    [TX_SILENT_PEER_REQUEUED] = "No hubo respuesta y el chat volvió a la fila. Gracias. Las "
                                "respuestas a este número ya no se entregan.",
    [TX_IDLE_CLOSED_TEXTER] = "Este chat se cerró tras un rato en silencio. Gracias por escribir. "
                              "Escríbenos cuando quieras. STOP/END/QUIT paran todo.",
    [TX_IDLE_CLOSED_PEER] = "El chat se cerró tras un rato en silencio. Gracias. Las respuestas a "
                            "este número ya no se entregan.",
    [TX_IDLE_URGENT_PEER] = "Este chat urgente lleva un rato en silencio. Sigue abierto: escribe a "
                            "la persona, o #escalate para un coordinador.",
    [TX_MISSED_OFFERS] = "No respondiste 3 solicitudes seguidas, así que quedaste fuera por ahora. "
                         "Escribe #on cuando puedas tomar chats.",
    [TX_ON] = "Estás disponible hasta {until}. Escribe #off para parar.",
    [TX_OFF] = "Estás fuera hasta {until}. Escribe #on cuando puedas tomar chats.",
    [TX_OFF_UNTIL_ON] = "Estás fuera. Escribe #on cuando puedas tomar chats.",
    [TX_STATUS] = "Estado: {state}. Chats abiertos: {open}. En espera: {queue}.",
    [TX_TRANSFERRED_TEXTER] = "{peer} te pasa a otro par. Eres el primero en la fila y un par te "
                              "escribirá aquí cuando esté libre.",
    [TX_TRANSFERRED_PEER] = "Transferido. Gracias. Las respuestas a este número ya no se entregan.",
    [TX_TRANSFER_UNKNOWN] = "No hay un tema \"{topic}\". Temas: {topics}.",
    [TX_ESCALATED_PEER] =
        "Avisamos a los coordinadores (ref {ref}). Si puedes, sigue con la persona.",
    [TX_ALERT_ESCALATE] = "peerline alerta {ref}: {peer} pide un coordinador en un chat de "
                          "{topic}. Nota: {note} Responde #ack {ref}.",
    [TX_ALERT_IDLE] =
        "peerline alerta {ref}: un chat urgente de {topic} está en silencio. Responde #ack {ref}.",
    [TX_ACKED] = "Recibido {ref}. Gracias.",
    [TX_NO_ALERT] = "No hay alerta abierta {ref}.",
    [TX_TAKE_REF_REFUSED] = "{ref} no se puede tomar: no es un chat urgente esperando un par.",
    [TX_STAFF_HELP] = "Comandos: #on [2h], #off, #status (o ON, OFF, STATUS). Coordinadores: #ack "
                      "REF, #take REF. En un chat, #help en su número.",
    [TX_ONLY_IN_CHAT] = "Eso funciona dentro de un chat: envíalo al número del chat.",
    [TX_SAFETY] = "Si corres peligro, llama o escribe al {crisis_line} o llama al {emergency} "
                  "ahora. Un par seguirá contigo aquí lo antes posible.",
    [TX_ALERT_CRISIS] = "peerline alerta {ref}: una persona escribió palabras de crisis. Responde "
                        "#ack {ref}, o #take {ref} si aún no tiene par.",
    [TX_ALERT_CRISIS_OPTED_OUT] = "peerline alerta {ref}: palabras de crisis de alguien que se dio "
                                  "de baja: no pudimos responder. Responde #ack {ref}.",
    [TX_ALERT_CRISIS_BLOCKED] = "peerline alerta {ref}: palabras de crisis de un número bloqueado. "
                                "Se envió el mensaje de seguridad. Responde #ack {ref}.",
    [TX_ALERT_UNACKED] =
        "peerline alerta {ref} sin confirmar todavía. Por favor, revísala: responde #ack {ref}.",
    [TX_ALERT_URGENT_BYE] = "peerline alerta {ref}: la persona terminó un chat urgente de {topic}. "
                            "Responde #ack {ref}.",
    [TX_ALERT_PEER_OPTOUT] = "peerline alerta: el par {peer} se dio de baja de un número de la "
                             "línea y quedó fuera. Sus chats volvieron a la fila.",
    [TX_ALERT_SIGNATURES] = "peerline alerta: {count} mensajes o llamadas a la línea rechazados "
                            "por firma inválida. Revisen public_url y el token.",
    [TX_ALERT_CRISIS_UNHANDLED] = "peerline alerta: falló un mensaje con palabras de crisis; la "
                                  "persona recibió los números de crisis. Revisa el log ya.",
    [TX_LINE_CLOSED_TEXTER] = "Este chat se cerró. Gracias por escribir. Escríbenos cuando "
                              "quieras. STOP/END/QUIT paran todos los mensajes.",
    [TX_LANG_OFFER] = " Para español, responde ES.",
    [TX_LANG_SET] = "De acuerdo, seguimos en español.",
    [TX_FLOOD] =
        "Estás enviando mucho a la vez; tus mensajes llegan juntos a tu par. No se pierde nada.",
    [TX_RATING_ASK] = "Una pregunta: ¿cómo fue este chat? Responde de 1 (mal) a 5 (muy bien). "
                      "Puedes ignorar esto.",
    [TX_RATING_THANKS] = "Gracias por contarnos.",
    [TX_TEXTER_BYE_PEER] = "La persona terminó el chat. Puedes enviar un último mensaje aquí en "
                           "los próximos {minutes} min.",
    [TX_LAST_WORD_SENT] =
        "Enviado. El chat ya está cerrado; las respuestas aquí ya no se entregan.",
    [TX_OFFER_URGENT] = "Chat URGENTE: {topic}, {lang}, espera {wait}. #take para aceptar o #pass "
                        "para pasar. Vence en {expires}.",
    [TX_STATE_ON_SHIFT] = "de turno",
    [TX_STATE_OFF_SHIFT] = "fuera de turno",
    [TX_STATE_ON_UNTIL] = "disponible hasta {until}",
    [TX_STATE_OFF_UNTIL] = "fuera hasta {until}",
    [TX_STATE_ON] = "disponible",
    [TX_STATE_OFF] = "fuera",
    [TX_STATE_COORDINATOR] = "coordinador",
    [TX_ALERT_VOICEMAIL] = "peerline: buzón de voz {ref} ({topic}, {seconds}s). Para devolver "
                           "la llamada: #callback {ref}",
    [TX_ALERT_MISSED_CALL] = "peerline: llamada perdida {ref} ({topic}), sin mensaje. Para "
                             "devolverla: #callback {ref} a la línea.",
    [TX_ALERT_CRISIS_CALL] = "peerline alerta: la persona {ref} eligió la opción de crisis del "
                             "menú telefónico y recibió recursos de crisis.",
    [TX_MISSED_CALL] = "{line}: perdimos su llamada. Escríbanos aquí cuando quiera. ¿En peligro? "
                       "Llame al {crisis_line} o al {emergency}.",
    [TX_CALLBACK_STARTED] = "Le llamamos ahora por {ref}. Oprima 1 para conectar; su número queda "
                            "oculto.",
    [TX_CALLBACK_REFUSED] = "No hay una llamada perdida {ref} que se pueda devolver.",
    [TX_RELAY_SHORTENED] = "Un mensaje suyo era muy largo: recibiste sus primeros {max} "
                           "caracteres. Puedes pedirle que envíe el resto en mensajes más cortos.",
    [TX_REPLY_SHORTENED] = "Tu mensaje era muy largo: solo sus primeros {max} caracteres llegaron "
                           "a la persona. Envía el resto en mensajes más cortos.",
    [TX_DEBRIEF_OFFER] = "El chat urgente {ref} terminó. Gracias por estar ahí. Si te pesa, envía "
                         "#debrief y alguien de coordinación hablará contigo.",
    [TX_DEBRIEF_ASKED] = "Gracias por pedirlo. Ya avisamos a los coordinadores de guardia; te "
                         "contactarán pronto.",
    [TX_ALERT_DEBRIEF] = "peerline: {peer} ({peer_id}) pide hablar de un chat difícil, el {ref} "
                         "(#debrief). Por favor, escríbele pronto.",
    [TX_ALERT_DEBRIEF_NO_CHAT] = "peerline: {peer} ({peer_id}) pide hablar de un chat difícil "
                                 "(#debrief). Por favor, escríbele pronto.",
    [TX_NOTE_SAVED] = "Nota guardada. La verá el próximo par que atienda a esta persona; la "
                      "persona no la verá nunca.",
    [TX_NOTE_SHORTENED] = "Nota guardada, pero solo sus primeros {max} caracteres. La verá el "
                          "próximo par; la persona, nunca.",
    [TX_NOTE_USAGE] = "Escribe tu nota después de #note, p. ej. #note prefiere respuestas cortas. "
                      "La verá el próximo par; la persona, nunca.",
    [TX_NOTE_NOT_TAKEN] =
        "Las notas son para chats que aceptaste: responde #take primero y luego #note con tu nota.",
    [TX_NOTES_HEADING] =
        "Notas privadas de chats recientes con esta persona, de la más reciente a la más antigua:",
    [TX_NOTE_LINE] = "{writer}, hace {age}: {note}",
    [TX_RES_LIST] = "Recursos: {list}. Envía #res ID para mandarle uno a la persona.",
    [TX_RES_NONE] = "Aún no hay recursos para el tema y el idioma de este chat. Los coordinadores "
                    "pueden añadirlos.",
    [TX_RES_SENT] = "Enviamos {resource} a la persona, desde el número principal de la línea.",
    [TX_SHADOW_INTRO] = "Lees el chat de {peer} sobre {topic}, solo lectura. #suggest TEXTO: "
                        "solo a ese par. #unshadow: dejar de leer.",
    [TX_SHADOW_TEXTER] = "Un par en formación lee este chat para aprender; no puede escribirte. "
                         "Responde PRIVADO si prefieres que no lo lea.",
    [TX_SHADOW_PEER] = "{trainee}, par en formación, lee este chat. Sus ideas (#suggest) te "
                       "llegan aquí; la persona nunca las ve.",
    [TX_SUGGESTION] = "Sugerencia de {trainee} (en formación): {text}",
    [TX_SUGGESTION_SENT] = "Enviada a {peer} como sugerencia. La persona no la ve.",
    [TX_SHADOW_READ_ONLY] = "Solo lectura: lo que escribas aquí no le llega a nadie. #suggest "
                            "TEXTO va a {peer}; #unshadow detiene la copia.",
    [TX_SHADOW_END_CLOSED] = "El chat que leías terminó, así que tu copia se detuvo. Gracias por "
                             "aprender con nosotros.",
    [TX_SHADOW_END_REQUEUED] = "El chat que leías volvió a la fila, así que tu copia se detuvo.",
    [TX_SHADOW_END_URGENT] = "El chat que leías se volvió urgente, así que tu copia se detuvo. "
                             "Gracias.",
    [TX_SHADOW_END_PRIVATE] =
        "La persona pidió privacidad, así que tu copia de este chat se detuvo. "
        "Gracias por entender.",
    [TX_SHADOW_END_UNSHADOW] = "Listo, dejaste de leer ese chat. No te llegará nada más de él.",
    [TX_SHADOW_STOPPED_PEER] = "{trainee} ya no lee este chat.",
    [TX_SHADOW_PRIVATE_PEER] = "La persona pidió privacidad: {trainee} ya no lee este chat.",
    [TX_PRIVATE_TEXTER] = "Listo: ningún par en formación leerá este chat.",
    [TX_NOT_SHADOWING] = "Ahora no estás leyendo ningún chat.",
    [TX_SUGGEST_WHERE] = "#suggest solo funciona en el hilo del chat que estás leyendo.",
    [TX_TRAINEE_HELP] = "En formación lees chats, solo lectura. #suggest TEXTO: una idea solo "
                        "para tu par. #unshadow: parar. #on [2h], #off, #status, #help.",
    [TX_NONE] = "nadie",
};