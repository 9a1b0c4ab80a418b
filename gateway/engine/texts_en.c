/*
 * texts_en.c - the English templates. Written to fit one GSM-7 segment with
 * the longest names a roster may hold (the budget test in tests/unit
 * renders every one); straight quotes only.
 */
#include "texts_priv.h"

const char *const texts_en[TX_COUNT] = {
    [TX_WELCOME] = "{line}: trained volunteer peers, not counsellors or emergency services. BYE "
                   "ends a chat; STOP/END/QUIT stop all texts; HELP for help.",
    [TX_MENU] = "What would you like to talk about? Reply with a number: {menu}.{switch}",
    [TX_MENU_AGAIN] = "Sorry, I didn't catch that. Reply with a number: {menu}.{switch}",
    [TX_QUEUED] = "Thanks. You're number {position} in line to talk about {topic}. A peer will "
                  "text you here as soon as one is free.",
    [TX_STILL_QUEUED] = "You're still number {position} in line. Your messages will be shared with "
                        "your peer when they join.",
    [TX_LEFT_QUEUE] =
        "OK, you've left the line. Text us any time to talk. STOP/END/QUIT stop all texts.",
    [TX_NOT_IN_CHAT] = "You're not in a chat right now. Text anything to talk with a peer.",
    [TX_INTRO_TEXTER] = "You're now texting with {peer}, a trained volunteer peer. Reply here to "
                        "talk. BYE ends the chat; STOP/END/QUIT stop all texts.",
    [TX_INTRO_PEER] = "You're connected. Their messages so far follow. Reply here to answer. #end "
                      "closes the chat; #help lists commands.",
    [TX_OFFER] = "New chat: {topic}, {lang}, waiting {wait}. Reply #take to accept or #pass to "
                 "decline. Expires in {expires}.",
    [TX_OFFER_WAITING] = "Reply #take to accept this chat or #pass to decline. Nothing reaches the "
                         "texter before #take.",
    [TX_OFFER_GONE] = "That chat request expired and went back to the line. Thank you.",
    [TX_OFFER_WITHDRAWN] = "That chat request was withdrawn. Thank you.",
    [TX_PASSED] = "OK, passed. Thank you.",
    [TX_ALREADY_IN_CHAT] = "You're already in this chat. Reply here to talk; #end closes it.",
    [TX_BYE_TEXTER] = "Chat ended. Thank you for reaching out. Text us any time to talk again. "
                      "STOP/END/QUIT stop all texts.",
    [TX_TEXTER_LEFT] =
        "The texter ended the chat. Thank you. Replies on this number are no longer delivered.",
    [TX_END_TEXTER] = "{peer} has ended the chat. Thank you for reaching out. Text us any time to "
                      "talk again. STOP/END/QUIT stop all texts.",
    [TX_END_PEER] = "Chat closed. Thank you. Replies on this number are no longer delivered.",
    [TX_CLOSED_NUMBER] =
        "This chat has ended, so replies here are no longer delivered. Text #help for commands.",
    [TX_STOP_CONFIRM] = "You won't get more texts from {line}. If you're in danger, call or text "
                        "{crisis_line}, or call {emergency}. Text START to come back.",
    [TX_START_CONFIRM] = "Welcome back to {line}. Text anything to talk with a peer. BYE ends a "
                         "chat; STOP/END/QUIT stop all texts.",
    [TX_HELP] = "{line}: free peer support by text. BYE ends a chat; STOP/END/QUIT stop all texts. "
                "In danger? Call or text {crisis_line}, or call {emergency}.",
    [TX_PEER_HELP] = "Commands: #take #pass #end #transfer [topic] #escalate [note] #note TEXT "
                     "#res [ID] #debrief #on [2h] #off #status. Other texts go to the texter.",
    [TX_PEER_STEPPED_AWAY] = "Your peer had to step away. You're first in line for the next peer, "
                             "who will text you here.",
    [TX_RELAY_FAILED_TEXTER] = "Sorry, your last message could not be delivered to your peer. "
                               "Please try sending it again.",
    [TX_RELAY_FAILED_PEER] = "Your last message could not be delivered to the texter.",
    [TX_POOL_STRANGER] = "This number does not take texts. To reach {line}, text {line_number}.",
    [TX_NO_PICTURES] = "Pictures are not passed on, only text. Please describe it in words.",
    [TX_PICTURE_NOT_PASSED] = "(They sent a picture. Pictures are not passed on.)",
    [TX_CLOSED_BY_LINE] = "This chat was closed by the line's coordinators. Thank you. Replies on "
                          "this number are no longer delivered.",
    [TX_TEXTER_UNREACHABLE] =
        "The texter can no longer receive texts, so this chat has ended. Thank you.",
    [TX_TROUBLE] = "Sorry, something went wrong on our side. Please text again. If you are in "
                   "danger, call or text {crisis_line}, or call {emergency}.",
    [TX_QUEUED_ESTIMATE] = "Thanks. You're number {position} in line to talk about {topic}. Lately "
                           "people waited about {wait}. A peer will text you here.",
    [TX_QUEUED_NO_SHIFT] =
        "Thanks. No peer is on shift right now; the next shift starts in about {when}. You're "
        "number {position} in line and a peer will text you here.",
    [TX_QUEUED_NO_ONE] =
        "Thanks. No peer is on shift now. If you need help now, call or text {crisis_line}, or "
        "call {emergency}. You're number {position} in line; we'll text you here.",
    [TX_QUEUE_UPDATE] = "You're still number {position} in line. A peer will text you here as soon "
                        "as one is free. Text BYE to leave the line.",
    [TX_QUEUE_UPDATE_ESTIMATE] = "You're still number {position} in line. Lately people waited "
                                 "about {wait}. A peer will text you here.",
    [TX_UPDATE_NO_SHIFT] = "You're still number {position} in line. No peer is on shift right now; "
                           "the next shift starts in about {when}.",
    [TX_UPDATE_NO_ONE] = "You're still number {position} in line. No peer is on shift yet. If you "
                         "need help now, call or text {crisis_line}, or call {emergency}.",
    [TX_MAX_WAIT] =
        "No one is free yet, and we're sorry for the wait. If you need help now, call or text "
        "{crisis_line}, or call {emergency}. You keep your place; text BYE to leave.",
    [TX_NUDGE_PEER] =
        "The texter is waiting for your reply. Reply here, or #transfer to pass them on, or #end.",
    [TX_SILENT_PEER_REQUEUED] = "No reply came, so the chat went back to the line. Thank you. "
                                "Replies on this number are no longer delivered.",
    [TX_IDLE_CLOSED_TEXTER] = "This chat has closed after a quiet while. Thank you for reaching "
                              "out. Text us any time to talk again. STOP/END/QUIT stop all texts.",
    [TX_IDLE_CLOSED_PEER] = "The chat closed after a quiet while. Thank you. Replies on this "
                            "number are no longer delivered.",
    [TX_IDLE_URGENT_PEER] = "This urgent chat has been quiet a while. It stays open: please check "
                            "in with the texter, or #escalate for a coordinator.",
    [TX_MISSED_OFFERS] = "You missed 3 chat requests in a row, so you're set off for now. Text #on "
                         "when you can take chats again.",
    [TX_ON] = "You're on until {until}. Text #off to stop.",
    [TX_OFF] = "You're off until {until}. Text #on when you can take chats.",
    [TX_OFF_UNTIL_ON] = "You're off. Text #on when you can take chats.",
    [TX_STATUS] = "You're {state}. Open chats: {open}. Waiting: {queue}.",
    [TX_TRANSFERRED_TEXTER] = "{peer} is passing you on to another peer. You're first in line, and "
                              "a peer will text you here when one is free.",
    [TX_TRANSFERRED_PEER] =
        "Transferred. Thank you. Replies on this number are no longer delivered.",
    [TX_TRANSFER_UNKNOWN] = "There's no topic \"{topic}\". Topics: {topics}.",
    [TX_ESCALATED_PEER] =
        "Coordinators have been alerted (ref {ref}). Please stay with the texter if you can.",
    [TX_ALERT_ESCALATE] = "peerline alert {ref}: {peer} asks for a coordinator in a {topic} chat. "
                          "Note: {note} Reply #ack {ref}.",
    [TX_ALERT_IDLE] =
        "peerline alert {ref}: an urgent {topic} chat has gone quiet. Reply #ack {ref}.",
    [TX_ACKED] = "Acknowledged {ref}. Thank you.",
    [TX_NO_ALERT] = "No open alert {ref}.",
    [TX_TAKE_REF_REFUSED] = "{ref} can't be taken: it is not an urgent chat waiting for a peer.",
    [TX_STAFF_HELP] = "Commands: #on [2h], #off, #status (also ON, OFF, STATUS). Coordinators: "
                      "#ack REF, #take REF. In a chat, text #help on its number.",
    [TX_ONLY_IN_CHAT] = "That works inside a chat: send it on the chat's number.",
    [TX_SAFETY] = "If you're in danger, call or text {crisis_line} or call {emergency} now. A peer "
                  "will still be with you here as soon as they can.",
    [TX_ALERT_CRISIS] = "peerline alert {ref}: a texter wrote crisis words. Reply #ack {ref}, or "
                        "#take {ref} if no peer has them yet.",
    [TX_ALERT_CRISIS_OPTED_OUT] = "peerline alert {ref}: crisis words from a texter who opted out "
                                  "of texts: we could not reply. Reply #ack {ref}.",
    [TX_ALERT_CRISIS_BLOCKED] = "peerline alert {ref}: crisis words from a blocked number. The "
                                "safety text went out. Reply #ack {ref}.",
    [TX_ALERT_UNACKED] =
        "peerline alert {ref} is not acknowledged yet. Please check it now: reply #ack {ref}.",
    [TX_ALERT_URGENT_BYE] =
        "peerline alert {ref}: the texter ended an urgent {topic} chat. Reply #ack {ref}.",
    [TX_ALERT_PEER_OPTOUT] = "peerline alert: peer {peer} opted out of one of the line's numbers "
                             "and is set off. Their chats went back to the line.",
    [TX_ALERT_SIGNATURES] = "peerline alert: {count} texts or calls to the line were refused "
                            "because their signature did not match. They may be lost: check "
                            "public_url and the auth token.",
    [TX_ALERT_CRISIS_UNHANDLED] = "peerline alert: a text with crisis words could not be handled; "
                                  "its writer got the crisis numbers. Check the server log now "
                                  "(engine.gave_up).",
    [TX_LINE_CLOSED_TEXTER] = "This chat has been closed. Thank you for reaching out. Text us any "
                              "time to talk again. STOP/END/QUIT stop all texts.",
    [TX_LANG_OFFER] = " For English, reply EN.",
    [TX_LANG_SET] = "OK, English from now on.",
    [TX_FLOOD] =
        "You're sending a lot at once, so your messages go to your peer together. Nothing is lost.",
    [TX_RATING_ASK] = "One question: how was this chat? Reply 1 (not good) to 5 (very good). You "
                      "can ignore this.",
    [TX_RATING_THANKS] = "Thank you for telling us.",
    [TX_TEXTER_BYE_PEER] =
        "The texter ended the chat. You may send one last message here in the next {minutes} min.",
    [TX_LAST_WORD_SENT] = "Sent. The chat is closed now; replies here are no longer delivered.",
    [TX_OFFER_URGENT] = "URGENT chat: {topic}, {lang}, waiting {wait}. Reply #take to accept or "
                        "#pass to decline. Expires in {expires}.",
    [TX_STATE_ON_SHIFT] = "on shift",
    [TX_STATE_OFF_SHIFT] = "off shift",
    [TX_STATE_ON_UNTIL] = "on until {until}",
    [TX_STATE_OFF_UNTIL] = "off until {until}",
    [TX_STATE_ON] = "on",
    [TX_STATE_OFF] = "off",
    [TX_STATE_COORDINATOR] = "a coordinator",
    [TX_ALERT_VOICEMAIL] = "peerline: voicemail {ref} ({topic}, {seconds}s). To call back, "
                           "number hidden: text #callback {ref} to the line.",
    [TX_ALERT_MISSED_CALL] = "peerline: missed call {ref} ({topic}), no message. A voice peer can "
                             "call back: text #callback {ref} to the line.",
    [TX_ALERT_CRISIS_CALL] = "peerline alert: caller {ref} chose the crisis option on the phone "
                             "menu and was given crisis resources.",
    [TX_MISSED_CALL] = "{line}: sorry we missed your call. Text here any time to talk with a peer. "
                       "In danger? Call {crisis_line} or {emergency}.",
    [TX_CALLBACK_STARTED] = "Calling you now for {ref}. Press 1 to be connected; their number "
                            "stays hidden and they see the line's.",
    [TX_CALLBACK_REFUSED] = "There is no missed call {ref} that can be called back.",
    [TX_RELAY_SHORTENED] = "A message from them was too long to pass on whole: you got its first "
                           "{max} characters. You can ask them to send the rest in shorter texts.",
    [TX_REPLY_SHORTENED] = "Your message was too long: only its first {max} characters reached "
                           "the texter. Please send the rest in shorter texts.",
    [TX_DEBRIEF_OFFER] = "Urgent chat {ref} has ended. Thank you for staying with them. If it "
                         "weighs on you, text #debrief and a coordinator will check in with you.",
    [TX_DEBRIEF_ASKED] = "Thank you for asking. The on-call coordinators have been told and will "
                         "check in with you soon.",
    [TX_ALERT_DEBRIEF] = "peerline: {peer} ({peer_id}) asks for a debrief after chat {ref}. "
                         "Please check in with them soon.",
    [TX_ALERT_DEBRIEF_NO_CHAT] =
        "peerline: {peer} ({peer_id}) asks for a debrief. Please check in with them soon.",
    [TX_NOTE_SAVED] =
        "Note saved. The next peer who takes this texter will see it; the texter never will.",
    [TX_NOTE_SHORTENED] = "Note saved, but only its first {max} characters. The next peer who "
                          "takes this texter will see it; the texter never will.",
    [TX_NOTE_USAGE] = "Write your note after #note, e.g. #note prefers short replies. The next "
                      "peer who takes this texter sees it; the texter never does.",
    [TX_NOTE_NOT_TAKEN] = "Notes are for chats you've taken: reply #take first, then #note and "
                          "your note.",
    [TX_NOTES_HEADING] = "Private notes from recent chats with this texter, newest first:",
    [TX_NOTE_LINE] = "{writer}, {age} ago: {note}",
    [TX_RES_LIST] = "Resources: {list}. Send #res ID to text one to the texter.",
    [TX_RES_NONE] = "No resources fit this chat's topic and language yet. Coordinators can add "
                    "them to the roster.",
    [TX_RES_SENT] = "Sent {resource} to the texter, from the line's main number.",
    [TX_SHADOW_INTRO] = "Reading along, read-only: {peer}'s chat about {topic}. #suggest TEXT goes "
                        "to them only; #unshadow stops.",
    [TX_SHADOW_TEXTER] = "A peer in training is reading along to learn; they can't text you. "
                         "Reply PRIVATE if you'd rather they didn't.",
    [TX_SHADOW_PEER] = "{trainee}, a peer in training, is reading along. Their #suggest ideas "
                       "come here; the texter never sees them.",
    [TX_SUGGESTION] = "Suggestion from {trainee} (in training): {text}",
    [TX_SUGGESTION_SENT] = "Sent to {peer} as a suggestion. The texter doesn't see it.",
    [TX_SHADOW_READ_ONLY] =
        "This copy is read-only: nothing you write here reaches anyone. #suggest "
        "TEXT goes to {peer}; #unshadow stops it.",
    [TX_SHADOW_END_CLOSED] = "The chat you were reading along with has ended, so your copy has "
                             "stopped. Thank you for learning with us.",
    [TX_SHADOW_END_REQUEUED] =
        "The chat you were reading along with went back to the line, so your "
        "copy has stopped.",
    [TX_SHADOW_END_URGENT] = "The chat you were reading along with became urgent, so your copy has "
                             "stopped. Thank you.",
    [TX_SHADOW_END_PRIVATE] =
        "The texter asked for privacy, so your copy of this chat has stopped. "
        "Thank you for understanding.",
    [TX_SHADOW_END_UNSHADOW] =
        "OK, you've stopped reading along. Nothing more from that chat will come "
        "to you.",
    [TX_SHADOW_STOPPED_PEER] = "{trainee} is no longer reading along with this chat.",
    [TX_SHADOW_PRIVATE_PEER] =
        "The texter asked for privacy: {trainee} no longer reads along with this "
        "chat.",
    [TX_PRIVATE_TEXTER] = "Done: no peer in training will read along with this chat.",
    [TX_NOT_SHADOWING] = "You're not reading along with any chat right now.",
    [TX_SUGGEST_WHERE] = "#suggest works only in the thread of the chat you're reading along with.",
    [TX_TRAINEE_HELP] = "In training you read along, read-only. #suggest TEXT: an idea for the "
                        "peer only. #unshadow: stop. #on [2h], #off, #status, #help.",
    [TX_NONE] = "none",
};