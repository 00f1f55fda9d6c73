"""Line rules for boilerplate: built-in patterns, user patterns and sentence shape.

Every rule is a Polars expression over the line frame of `dedupe.clean.lines` and names itself
(``builtin:<name>``, ``user:<pattern>``); learned lines are in `dedupe.clean.learned`, page mode in
`dedupe.clean.page`.
"""

from __future__ import annotations

import polars as pl

from dedupe.clean.lines import CHARS, KEY, SENTENCE, WORDS
from dedupe.errors import ConfigError
from dedupe.schema import DOC_ID, LINE

# A sentence ends with . ! ? or an ellipsis, maybe followed by closing quotes or brackets.
_SENTENCE_END = r"[.!?\u2026][\"'\u201d\u2019)\]]*$"
SENTENCE_MIN_WORDS = 6

# Built-in rules, matched against the normalized line (NFKC, lower case, one space, stripped).
# Each is anchored on both ends, so it matches a whole short line and never an article sentence.
_SEP = r"\s*[|:/\-\u2013\u2014\u00b7\u2022,]?\s*"
_SHARE_WORDS_BUT_X = (
    r"(share|share this|share on \w+|share via \w+|tweet|tweet this|pin it|pin|email|e-mail|"
    r"print|whatsapp|facebook|twitter|linkedin|reddit|telegram|copy link|comment|comments|"
    r"save|flipboard)"
)
_SHARE_WORDS = rf"({_SHARE_WORDS_BUT_X}|x)"
# A bar of share buttons: "X" (Twitter's name) alone or beside another button; "X X X" is a
# newspaper's section break, as "* * *" is.
_SHARE_BAR = rf"(x{_SEP})*{_SHARE_WORDS_BUT_X}({_SEP}{_SHARE_WORDS})*|x"
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"({_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|"
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4})"
)
# An optional clock time after a date, as in "March 3, 2023 10:15 am est".
_TIME = r"(\s*(at\s+)?\d{1,2}:\d{2}\s*(am|pm)?( [a-z]{2,4})?)?"
# A person's or desk's name: one to four words of letters, with ' . - inside.
_NAME = r"\p{L}[\w'.\-]*( \p{L}[\w'.\-]*){0,3}"
# Separators that join a name and a date on one line; a plain comma or space is too weak there.
_STRONG_SEP = r"(\s*[|\u2013\u2014\u00b7\u2022]\s*|\s+-\s+)"
BUILTIN_RULES: dict[str, str] = {
    "widget": (
        r"^(loading|load more|show more|show less|see more|view more|read more|more stories|"
        r"more news|most popular|most read|most viewed|popular posts|trending|trending now|"
        r"related|related articles|related stories|related posts|related news|related content|"
        r"recommended|recommended for you|you may also like|you might also like|"
        r"also read|see also|top stories|latest news|latest posts|back to top|back to top button|"
        r"scroll to top|skip to content|skip to main content|toggle navigation|menu|main menu|"
        r"open menu|close menu|search|search for|close|next article|previous article|"
        r"next post|previous post|click here|click to expand|continue reading|"
        r"verified by monsterinsights|leave a comment|leave a reply|post a comment|"
        r"add comment|view comments|\d+ comments?|no comments|sign in|log in|login|register|"
        r"sign up|my account|subscribe|subscribe now|watch|listen|play video|watch video|"
        r"reply|replydelete|previous|next|older posts|newer posts|read next|up next|"
        r"permalink|print this page|advertising disclosure|affiliate link|affiliatelink|"
        r"do not sell my (personal )?(data|information)|"
        # The same widgets in the other supported languages (de, fr, es, it, pt, nl, pl, ru).
        r"weiterlesen|mehr lesen|mehr erfahren|mehr dazu|mehr zum thema|zum thema|"
        r"lesen sie auch|lesen sie mehr|lies auch|auch interessant|"
        r"das könnte (sie|dich) auch interessieren|das könnte (ihnen|dir) auch gefallen|"
        r"verwandte (artikel|beiträge|themen)|ähnliche (artikel|beiträge)|"
        r"weitere (artikel|beiträge|nachrichten|meldungen)|weiterführende links|"
        r"empfohlene artikel|empfohlener redaktioneller inhalt|meistgelesen|"
        r"meistgelesene artikel|beliebte beiträge|neueste beiträge|aktuelle beiträge|"
        r"nach oben|zurück nach oben|zum inhalt springen|zum hauptinhalt springen|"
        r"direkt zum inhalt|hauptmenü|menü|menü öffnen|mobiles menü öffnen|suche|suchen|"
        r"schließen|vorheriger (artikel|beitrag)|nächster (artikel|beitrag)|vorheriges|"
        r"nächstes|zurück zur übersicht|zurück zum \w+|alle artikel|alle beiträge|anmelden|"
        r"einloggen|abmelden|registrieren|mein konto|kommentar schreiben|"
        r"kommentar verfassen|kommentieren|antworten|keine kommentare|"
        r"die kommentarfunktion ist geschlossen|kommentare sind geschlossen|"
        r"auf einer seite lesen|seite drucken|artikel drucken|newsletteranmeldung|"
        r"newsletter abonnieren|jetzt abonnieren|schlagwörter|schlagworte|"
        r"lire aussi|à lire aussi|lire la suite|voir aussi|en savoir plus|"
        r"articles similaires|articles liés|sur le même sujet|les plus lus|"
        r"retour en haut|aller au contenu|passer au contenu|se connecter|connexion|"
        r"s'inscrire|mon compte|rechercher|fermer|article précédent|article suivant|"
        r"laisser un commentaire|ajouter un commentaire|commentaires|"
        r"leer más|lee también|lea también|ver más|ver también|"
        r"(también )?te puede interesar|noticias relacionadas|artículos relacionados|"
        r"lo más leído|más leídas|más leídos|más vistos|últimas noticias|volver arriba|"
        r"ir al contenido|pasar al contenido principal|saltar al contenido|"
        r"iniciar sesión|ingresar|registrarse|regístrate|buscar|cerrar|"
        r"artículo anterior|artículo siguiente|deja un comentario|comentarios|etiquetas|"
        r"leggi anche|leggi di più|continua a leggere|potrebbe interessarti|"
        r"articoli correlati|notizie correlate|i più letti|più letti|più lette|torna su|"
        r"vai al contenuto|accedi|registrati|cerca|chiudi|articolo precedente|"
        r"articolo successivo|lascia un commento|commenti|"
        r"leia também|leia mais|veja também|saiba mais|notícias relacionadas|"
        r"artigos relacionados|mais lidas|mais lidos|voltar ao topo|ir para o conteúdo|"
        r"cadastre-se|pesquisar|fechar|deixe um comentário|comentários|"
        r"lees ook|lees meer|lees verder|bekijk ook|gerelateerde artikelen|meest gelezen|"
        r"terug naar boven|naar de inhoud|inloggen|registreren|zoeken|sluiten|vorige|"
        r"volgende|laat een reactie achter|reacties|reageer|"
        r"schon gelesen\?|topthemen|meist gesucht|bild anzeigen( bild schließen)?|"
        r"vorheriges weiter|zurück weiter|inne artykuły( autora)?|"
        r"czytaj (też|także|więcej)( w .{1,60})?|zobacz (też|także|więcej|również)|polecamy|"
        r"najczęściej czytane|najpopularniejsze|powiązane artykuły|podobne artykuły|"
        r"przejdź do treści|zaloguj się|zaloguj|zarejestruj się|szukaj|zamknij|"
        r"dodaj komentarz|komentarze|skomentuj|"
        r"читайте также|читать далее|читать полностью|смотрите также|похожие статьи|"
        r"похожие новости|по теме|самое читаемое|наверх|перейти к содержанию|войти|"
        r"регистрация|поиск|закрыть|комментарии|оставить комментарий|добавить комментарий|"
        # Headings of teaser and author boxes.
        r"recent stories|trending (nationally|stories|on [\w .&'\-]{1,40})|related coverage|"
        r"about the author|über den autor|zum weiterlesen|meist gelesen|"
        r"top themen( der redaktion)?|aktuelle dossiers|weiterführende[rn]? links?|"
        r"zu allen beiträgen|najnowsze|articles correspondants)"
        r"[\s.:!\u2026>\u00bb\u203a\"']*$"
    ),
    "share": (
        rf"^({_SHARE_BAR}|share (this|the) (article|story|post|page)"
        r"( on \w+)?|share via \w+|follow us( on [\w ,&]+)?|like us on facebook|"
        r"(sign up|subscribe) (for|to) (our|the) [\w ]{0,30}newsletters?( here)?|"
        r"get (our|the) [\w ]{0,30}newsletter|subscribe to our [\w ]{0,30}channel|"
        r"teilen|teilen sie dies mit|teilen mit|(diesen )?(beitrag|artikel|inhalt) teilen|"
        r"auf \w+ teilen|per e-mail teilen|url zum kopieren|link kopieren|gefällt mir|"
        r"gefällt mir wird geladen|folgen sie uns( auf \w+)?|folge uns( auf \w+)?|"
        r"partager( sur \w+| cet article)?|suivez-nous( sur \w+)?|imprimer|"
        r"compartir( en \w+)?|síguenos( en \w+)?|imprimir|condividi( su \w+)?|seguici|"
        r"stampa|compartilhar|compartilhe|siga-nos|delen|deel dit artikel|afdrukken|"
        r"volg ons|udostępnij|drukuj|obserwuj nas|поделиться|печать|подписаться|"
        r"подпишитесь)[\s.:!]*$"
    ),
    # Comment forms and newsletter sign-ups of blog and news software, in the supported
    # languages: whole lines only, each starting with the form's own wording.
    "form": (
        r"^((gib|geben sie) (deine|ihre) e-mail-adresse (ein|an),? um diese[mn] blog.{0,200}|"
        r"enter your email address to (subscribe|follow).{0,200}|"
        r"(diese website|this site) (verwendet|uses) akismet.{0,200}|"
        r"(deine|ihre) e-mail-adresse wird nicht veröffentlicht.{0,200}|"
        r"your email address will not be published.{0,200}|"
        r"votre adresse (e-mail|de messagerie) ne sera pas publiée.{0,200}|"
        r"tu (dirección de )?correo electrónico no será publicad[ao].{0,200}|"
        r"il tuo indirizzo email non sarà pubblicato.{0,200}|"
        r"o seu endereço de e-mail não será publicado.{0,200}|"
        r"je e-mailadres wordt niet gepubliceerd.{0,200}|"
        r"twój adres e-mail nie zostanie opublikowany.{0,200}|"
        r"ваш (адрес )?e?-?mail не будет опубликован.{0,200}|"
        r"(erforderliche|pflicht)felder sind mit \* markiert\.?|"
        r"required fields are marked \*\.?|"
        r"benachrichtige mich über (neue|nachfolgende) (kommentare|beiträge).{0,80}|"
        r"notify me of (new|follow-up) (comments|posts).{0,80}|"
        r"(speichere|save) (meinen|my) (namen|name).{0,160}|"
        r"schreibe einen kommentar( antworten abbrechen)?|antworten abbrechen|"
        r"leave a (reply|comment)( cancel reply)?|cancel reply|post comment|"
        r"submit comment|kommentar abschicken|annuler la réponse|"
        r"deja una respuesta( cancelar la respuesta)?|cancelar respuesta|"
        r"lascia un commento( annulla risposta)?|annulla risposta|"
        r"deixe uma resposta( cancelar resposta)?|cancelar resposta|"
        r"(ja, )?ich möchte den .{0,40}newsletter (bekommen|erhalten|abonnieren).{0,80}|"
        r"(melden sie sich|melde dich) (jetzt )?(für|zu) unserem newsletter an.{0,80}|"
        r"(jetzt )?(zum|für den) newsletter anmelden.{0,40}|"
        r"sign up (to|for) (get |receive )?(the|our) (best|latest) .{0,80})$"
    ),
    "advertisement": (
        r"^[\[(]?(advertisement|advertisment|advertising|ad|ads|sponsored|sponsored content|"
        r"paid content|paid post|promoted|promoted content|story continues below"
        r"( advertisement)?|article continues below( advertisement)?|"
        r"scroll to continue with content|continue reading below|ad feedback)[\])]?[\s.:]*$"
    ),
    "cookie": (
        r"^((we use cookies|this (web)?site uses cookies|by (continuing|using) (to use )?"
        r"(this|our) (web)?site)\b.{0,300}\b(experience|consent|accept|agree|browsing|privacy|"
        r"cookie policy|learn more|more information|settings|analy[sz]e|personali[sz]e)\b.{0,200}|"
        r"(accept|reject|allow)( all)? cookies|cookie (policy|settings|preferences)|"
        r"manage cookies|"
        r"(wir verwenden|wir nutzen|diese (web)?seite verwendet|diese website (nutzt|verwendet)|"
        r"nous utilisons des|ce site utilise des|utilizamos|este sitio (web )?utiliza|"
        r"utilizziamo( i)?|questo sito utilizza( i)?|usamos|este site utiliza|"
        r"wij gebruiken|deze (web)?site gebruikt|używamy( plików)?|"
        r"ta strona (używa|korzysta z)( plików)?|мы используем( файлы)?|"
        r"этот сайт использует( файлы)?) cookies?\b.{0,500}|"
        r"(alle )?cookies (akzeptieren|zulassen|ablehnen)|cookie-einstellungen|"
        r"accepter (les|tous les) cookies|aceptar (todas las )?cookies|"
        r"accetta (tutti i )?cookie)$"
    ),
    "copyright": (
        r"^((\u00a9|\(c\))\s*.{0,150}|copyright\s*(\u00a9|\(c\)|\d{4}|:).{0,150}|"
        r".*(all rights reserved|alle rechte vorbehalten|tous droits réservés|"
        r"todos los derechos reservados|tutti i diritti riservati|todos os direitos reservados|"
        r"alle rechten voorbehouden|wszelkie prawa zastrzeżone|все права защищены)\.?|"
        r"this material may not be published, "
        r"broadcast, rewritten,? or redistributed\.?)$"
    ),
    "photo_credit": (
        r"^[\[(]?(photo|photos|photograph|image|images|picture|pictures|pic|file photo|"
        r"photo credit|image credit|credit|credits|image source|source|"
        r"foto|fotos|bild|bilder|bildquelle|quelle|fotoquelle|titelbild|crédit photo|crédits|"
        r"fuente|fonte|foto di|imagen|imagem|zdjęcie|źródło|фото|источник|crédito|"
        r"crédits? photos?)\s*[:\-\u2013]\s*"
        r"[^.!?]{1,80}[\])]?\.?$|"
        r"^[\[(]?(\w+ )?(ap|afp|reuters|epa|getty|anadolu|xinhua) ?(photo|images?)"
        r"( via getty images)?(\s*/\s*[^.!?]{1,60})?[\])]?$|"
        r"^[\[(]?(getty images|afp via getty images|shutterstock|/afp|\(afp\)|afp)[\])]?$|"
        r"^(fot\.|foto:|fot:) [^.!?]{1,80}$|"
        r"^[\[(]?(photo|image) by [^.!?]{1,60}( on (unsplash|pexels|pixabay))?[\])]?$"
    ),
    # A caption that ends with its credit: "Erdölpumpen im Abendrot. Bild: TebNad/Shutterstock".
    # The caption may be any length: a bounded prefix (".{0,200}") made the rule ten times slower.
    "caption_credit": (
        r"^.*[.!?\s](foto|fotos|bild|photo|imagen|imagem|fot\.|crédito)"
        r"\s*:\s*[^.!?:()\s][^!?:()]{0,60}$"
    ),
    "image_url": r"^(https?://|www\.)\S+\.(jpe?g|png|gif|webp|svg|bmp|tiff?|avif)(\?\S*)?$",
    # A byline or dateline: "by"/"posted by" a name with a date, or a short name and a date
    # joined by a strong separator ("News Desk | March 25 2004"), or a news desk alone.
    "byline": (
        rf"^(((posted|written|published|reported) )?by\s+[^\s.!?,;:][^.!?;:]{{0,50}}?"
        rf"\s*([-\u2013\u2014|,]|\s|\s+on)\s*({_DATE}){_TIME}|"
        rf"(published|posted|updated)( on)?:?\s*({_DATE}){_TIME},?\s+by\s+{_NAME}|"
        rf"{_NAME}{_STRONG_SEP}({_DATE}){_TIME}|({_DATE}){_TIME}{_STRONG_SEP}{_NAME}|"
        r"(news|web|city|foreign|metro|online|digital|staff|wire|sports?|business) "
        r"(desk|reporter|reporters|correspondent|writer|services?))$"
    ),
    "tag_list": (
        r"^([^\s;][^;]{0,40}(;[^\s;][^;]{0,40})+|"
        r"(tags|schlagw(orte|örter)( zum thema)?|markiert( mit)?|verschlagwortet mit|etiquetas|"
        r"étiquettes|tagi|теги)\s*:?\s*.{0,300})$"
    ),
    # A comment thread's heading and reply form: "3 Gedanken zu “Need for Speed”", "11 Antworten
    # zu ...", "2 comments on ...", "Hinterlassen Sie eine Antwort Antwort abbrechen".
    "comment_thread": (
        r"^(\d+ (gedanken|kommentare?|antworten|reaktionen|comments?|responses|replies|thoughts|"
        r"commentaires?|réponses|comentarios?|respuestas|commenti|risposte|comentários|reacties|"
        r"komentarz[ey]?|odpowiedzi|комментари\w*) "
        # The title after it is quoted or no sentence: "12 Antworten auf die Umfrage kamen."
        r"(zu|on|to|auf|sur|à|en|a|su|em|op|do|к)\s([\"'\u201c\u201e\u00ab\u2018].{1,200}|"
        r"[^.!?]{1,200})|"
        r".{0,60}(antwort abbrechen|cancel reply|annuler la réponse|cancelar respuesta|"
        r"annulla risposta|cancelar resposta)|"
        r"(sharen|teilen|share this|partager|compartir|condividi) (mit|on|sur|en|su)?:?)$"
    ),
    "date_stamp": rf"^((published|updated|last updated|posted)( on)?\s*:?\s*)?({_DATE}){_TIME}$",
}


# Month and day names of the supported languages (en, de, fr, es, it, pt, nl, pl, ru), in the
# forms datelines print them: full names, inflected forms (Polish and Russian genitives), and the
# usual abbreviations. Words that are also common words elsewhere ("out", "set", "ago", "sun")
# are left out: they would turn prose into templates.
MONTH_NAMES = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "januar|jänner|februar|märz|mai|juni|juli|oktober|dezember|jän|mär|okt|dez|"
    "janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "janv|févr|avr|juil|déc|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    "noviembre|diciembre|ene|dic|"
    "gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    "janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|dezembro|fev|"
    "januari|februari|maart|mei|augustus|mrt|"
    "styczeń|stycznia|luty|lutego|marzec|marca|kwiecień|kwietnia|maj|maja|czerwiec|czerwca|"
    "lipiec|lipca|sierpień|sierpnia|wrzesień|września|październik|października|listopad|"
    "listopada|grudzień|grudnia|"
    "январь|января|февраль|февраля|март|марта|апрель|апреля|мая|июнь|июня|июль|июля|"
    "август|августа|сентябрь|сентября|октябрь|октября|ноябрь|ноября|декабрь|декабря|"
    "янв|фев|апр|авг|сен|окт|ноя|дек"
)
DAY_NAMES = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|"
    "thurs|fri|"
    "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|"
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    "lunes|martes|miércoles|jueves|viernes|sábado|domingo|"
    "lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|"
    "segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira|"
    "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|"
    "poniedziałek|wtorek|środa|środę|czwartek|piątek|sobota|sobotę|niedziela|niedzielę|"
    "понедельник|вторник|среда|среду|четверг|пятница|пятницу|суббота|субботу|воскресенье"
)
# A count as sites print it: "212", "1,234", "3.1k", "2.5 m".
_COUNT = r"\d+([.,]\d+)*\s?[km]?"
_ENGAGEMENT_WORDS = (
    r"(comments?|shares?|likes?|views?|reads?|reactions?|replies|responses|votes?|"
    r"kommentare?|antworten|aufrufe|ansichten|mal geteilt|geteilt|"
    r"commentaires?|partages?|vues|réactions?|"
    r"comentarios?|compartidos|vistas|visitas|reacciones|"
    r"commenti|condivisioni|visualizzazioni|"
    r"comentários?|partilhas|visualizações|"
    r"reacties?|keer bekeken|weergaven|"
    r"komentarz[ey]?|komentarzy|udostępnie\p{L}*|wyświetle\p{L}*|odsłon\p{L}*|"
    r"комментари\p{L}*|просмотр\p{L}*|репост\p{L}*)"
)
_TIMESTAMP_PREFIX = (
    r"(updated|last updated|last modified|modified|published|first published|posted|"
    r"aktualisiert|zuletzt aktualisiert|veröffentlicht( am)?|veröffentlichung|erstellt|stand|"
    r"mis à jour|publié|modifié|actualizado|publicado|aggiornato|pubblicato|"
    r"atualizado|bijgewerkt|gepubliceerd|zaktualizowano|opublikowano|aktualizacja|"
    r"обновлено|опубликовано)"
)
# The tokens of a date and time: numbers, month and day names, am/pm, "uhr", time zones and
# the small words that join them in each language ("de", "um", "at", "г.").
_DATE_TOKEN = (
    rf"(\d+([.,:/h]\d+)*(st|nd|rd|th|\.)?|{MONTH_NAMES}|{DAY_NAMES}|a\.m\.|p\.m\.|am|pm|uhr|"
    r"et|est|edt|ct|cst|cdt|pt|pst|pdt|gmt|utc|bst|cet|cest|mez|mesz|"
    r"on|at|um|am|le|à|el|de|del|a las|il|alle|em|às|op|om|o|w|в|г|года)"
)
_DATE_SEQUENCE = rf"{_DATE_TOKEN}([\s,.:\-/|\u2013\u2014]+{_DATE_TOKEN})*\.?"
_TIME_UNITS = (
    r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|"
    r"sekunden?|minuten?|stunden?|tagen?|wochen?|monaten?|jahren?|"
    r"secondes?|heures?|jours?|semaines?|mois|ans?|années?|"
    r"segundos?|minutos?|horas?|días?|semanas?|meses|años?|"
    r"secondi|minuti|ore|giorni|settimane|mesi|anni|"
    r"dias?|anos?|"
    r"seconden|minuut|minuten|uur|dagen|weken|maanden|jaar|"
    r"sekund[ay]?|minut[ay]?|godzin[ay]?|godzinę|dni|dzień|tygodni[ea]?|miesięcy|lat[a]?|"
    r"секунд[уы]?|минут[уы]?|час[аов]*|дн(я|ей)|день|недел[иью]|месяц[аев]*|лет|год[а]?)"
)
_AGO = rf"(\d+|an?|one|ein(e[mn]?)?|une?|un[ao]?|uma?|een|jeden|jedną|одну|один)\s+{_TIME_UNITS}"
_READ_WORDS = (
    r"(read|reading|to read|lesezeit|lesen|de lecture|lecture|de lectura|lectura|di lettura|"
    r"lettura|de leitura|leitura|leestijd|lezen|czytania|чтения)"
)
_MINUTES = r"(min|mins|minute|minutes|minuten|minutos|minuti|minuut|minut|minuty|мин|минут[аы]?)"
# Families of counters and stamps that change from page to page: every pattern needs a digit, so
# they run on the lines holding one only (see `DIGIT_RULES`).
DIGIT_RULES: dict[str, str] = {
    # "View 212 comments", "Comments (14)", "3.1K shares", "Shares: 88", "14 Kommentare".
    "engagement": (
        rf"^((view|see|read|show|all|alle|voir|ver|vedi|bekijk|zobacz|смотреть)\s+(all\s+)?)?"
        rf"{_COUNT}\s*{_ENGAGEMENT_WORDS}$|"
        rf"^{_ENGAGEMENT_WORDS}\s*(:\s*|\(\s*|\s){_COUNT}\s*\)?$"
    ),
    # "5 hours ago", "vor 5 Stunden", "il y a 3 jours", "hace 2 horas", "2 ore fa",
    # "Updated 4:12 PM ET, Monday Jan 9, 2017", "Last modified on Tuesday 3 Oct 2017 11.05 BST".
    "timestamp": (
        rf"^({_TIMESTAMP_PREFIX}\s*:?\s*)?({_AGO}\s+(ago|fa|geleden|temu|назад)|"
        rf"(vor|il y a|hace|há|fa)\s+{_AGO})\.?$|"
        rf"^{_TIMESTAMP_PREFIX}\s*:?\s*{_DATE_SEQUENCE}$|"
        rf"^\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{1,4}},?\s+(um|at|à|a las|alle|às|om|o|в)?\s*"
        r"\d{1,2}[:.h]\d{2}\s*(uhr|h|am|pm)?$|"
        # "Dienstag, 4. Juni 2019, 15:54", "28 kwietnia 2021", "3 de mayo de 2022 a las 10:15".
        rf"^(({DAY_NAMES}),?\s+)?\d{{1,2}}\.?\s+(de\s+)?({MONTH_NAMES})\.?,?\s+(de\s+)?\d{{4}}"
        r"(,?\s+(um|at|à|a las|alle|às|om|o|в)?\s*\d{1,2}[:.h]\d{2}\s*(uhr|h)?)?\.?$"
    ),
    # "4 min read", "Lesezeit: 3 Minuten", "5 minutes de lecture".
    "reading_time": (
        rf"^(\d+\s*[-\u2013]?\s*{_MINUTES}\.?\s*{_READ_WORDS}|"
        r"(lesezeit|reading time|read time|temps de lecture|tiempo de lectura|"
        r"tempo di lettura|tempo de leitura|leestijd|czas czytania|время чтения)"
        rf"\s*:?\s*(ca\.\s*)?\d+\s*{_MINUTES}?\.?)$"
    ),
    # "Image 3 of 12", "Bild 2 von 9", "Foto 1/5", "(12 Bilder)".
    "gallery": (
        r"^(image|photo|picture|slide|bild|foto|imagen|immagine|imagem|afbeelding|zdjęcie|"
        r"фото)\s+\d+\s*(of|von|sur|de|di|van|z|из|/)\s*\d+$|"
        r"^(gallery|galerie|galería|galleria|galeria|галерея)?\s*[(\[]?\s*\d+\s*"
        r"(photos|images|pictures|bilder|fotos|imágenes|immagini|imagens|foto's|zdjęć|фото)"
        r"\s*[)\]]?$"
    ),
}


def is_sentence_like(key: str = KEY, words: str = WORDS) -> pl.Expr:
    """Whether a normalized line ends like a sentence and has enough words to be one."""
    return pl.col(key).str.contains(_SENTENCE_END) & (pl.col(words) >= SENTENCE_MIN_WORDS)


# On pure-ASCII keys the Unicode classes match exactly what their ASCII forms match, but the ASCII
# forms keep the regex engine's DFA small: "[\w ]{0,30}" alone made the share rule 20 times
# slower, and each Unicode "." of ".{0,200}" is a UTF-8 decoder of its own (the form rule ran 10
# times slower). Unicode White_Space in ASCII is \t \n \v \f \r and the space.
_ASCII_ESCAPES = {
    "w": ("[0-9A-Za-z_]", "0-9A-Za-z_"),
    "d": ("[0-9]", "0-9"),
    "s": (r"[\t\n\x0B\x0C\r ]", r"\t\n\x0B\x0C\r "),
    "b": (r"(?-u:\b)", None),
    "W": ("[^0-9A-Za-z_]", None),
    "D": ("[^0-9]", None),
    "S": (r"[^\t\n\x0B\x0C\r ]", None),
}
_ASCII_LETTER = ("[A-Za-z]", "A-Za-z")
_ASCII_DOT = r"[\x00-\x09\x0B-\x7F]"
_NON_ASCII = r"\x{80}-\x{10FFFF}"


def ascii_pattern(pattern: str) -> str:
    r"""Rewrite a regex so that it matches a pure-ASCII text exactly as ``pattern`` does.

    ``\w``, ``\d``, ``\s``, their negations, ``\p{L}``, ``\b`` and ``.`` become their ASCII
    forms (inside brackets too, where the form is a range), and a negated bracket excludes the
    non-ASCII characters too; everything else is copied. The rewrite agrees with ``pattern`` on
    ASCII texts only.

    Example:
        >>> ascii_pattern(r"^\d+.$")
        '^[0-9]+[\\x00-\\x09\\x0B-\\x7F]$'
    """
    out: list[str] = []
    # Whether each open bracket is negated: a negated class also excludes every non-ASCII
    # character, which keeps it a one-byte class.
    negated: list[bool] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escape = pattern[index + 1]
            if escape == "p" and pattern.startswith("{L}", index + 2):
                out.append(_ASCII_LETTER[bool(negated)])
                index += 5
                continue
            forms = _ASCII_ESCAPES.get(escape)
            form = None if forms is None else forms[bool(negated)]
            out.append(form if form is not None else pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            # A "]" right after the bracket (or after "^") is a literal, not the class's end.
            end = index + 1 + pattern.startswith("^", index + 1)
            negated.append(end > index + 1)
            end += pattern.startswith("]", end)
            out.append(pattern[index:end])
            index = end
            continue
        if char == "]" and negated:
            if negated.pop():
                char = _NON_ASCII + char
        elif char == "." and not negated:
            char = _ASCII_DOT
        out.append(char)
        index += 1
    return "".join(out)


_ASCII_RULES = {name: ascii_pattern(pattern) for name, pattern in BUILTIN_RULES.items()}
_ASCII_DIGIT_RULES = {name: ascii_pattern(pattern) for name, pattern in DIGIT_RULES.items()}


def builtin_rule(key: str = KEY, *, ascii_only: bool = False, digits: bool = True) -> pl.Expr:
    """Return the ``builtin:<name>`` rule matching a normalized line, or null.

    Args:
        key: the column of normalized lines.
        ascii_only: every key is pure ASCII, so the faster ASCII form of each pattern applies.
        digits: whether the keys may hold a digit; without one, the `DIGIT_RULES` cannot match
            and are skipped.
    """
    rules = _ASCII_RULES if ascii_only else BUILTIN_RULES
    if digits:
        rules = {**rules, **(_ASCII_DIGIT_RULES if ascii_only else DIGIT_RULES)}
    rule: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, pattern in reversed(rules.items()):
        rule = (
            pl.when(pl.col(key).str.contains(pattern))
            .then(pl.lit(f"builtin:{name}"))
            .otherwise(rule)
        )
    return rule


# Headings of a related-content block: "Related Articles", "Most Read", "More from Sport".
RELATED_HEADING = (
    r"^(related|related (articles|stories|posts|news|content|links|coverage|reading)|"
    r"most (read|popular|viewed|shared)|trending( now| stories)?|popular (posts|stories)|"
    r"more (stories|news|from [\w .&'\-]{1,40})|read more|you (may|might) also like|"
    r"recommended( for you| stories)?|also read|see also|top stories|latest (news|stories|posts)|"
    r"lesen sie auch|lies auch|auch interessant|das könnte (sie|dich) auch interessieren|"
    r"verwandte (artikel|beiträge|themen)|ähnliche (artikel|beiträge)|"
    r"weitere (artikel|beiträge|nachrichten|meldungen)|meistgelesen|meistgelesene artikel|"
    r"mehr zum thema|zum thema|lire aussi|à lire aussi|articles similaires|sur le même sujet|"
    r"les plus lus|lee también|te puede interesar|noticias relacionadas|más leídas|"
    r"lo más leído|leggi anche|articoli correlati|più letti|leia também|mais lidas|"
    r"notícias relacionadas|lees ook|meest gelezen|czytaj (też|także)|zobacz (też|także)|"
    r"polecamy|najczęściej czytane|читайте также|похожие статьи|по теме)"
    r"[\s.:!\u2026>\u00bb\u203a]*$"
)
# A block line ending like a sentence is content, even when short ("He resigned.").
_ENDS_SENTENCE = r"[.!\u2026][\"'\u201d\u2019)\]]*$"


def related_block_rule(mark: str, *, max_chars: int) -> pl.Expr:
    """Return ``builtin:related_block`` for the lines of a related-content block, or ``mark``.

    After a related heading, the headlines of other articles run to the end of the document or
    to other chrome: short lines (at most ``max_chars``) that are not sentences and that no rule
    removed. Such a run is a block only when it ends there; a run that ends at a content line is
    kept, as is the heading's own fate when its rule is already set, and the page's headline (the
    last block line above the first paragraph, with only removed lines between) is kept too.
    Blank lines are skipped. A heading that no rule removed ("More from Sport") goes with a valid
    block. Runs over a line frame in line order, with ``_key``, ``_chars`` and ``_sentence``.

    Args:
        mark: the column of the rule each line already has (null when none).
        max_chars: longest normalized line that can be a block line.
    """
    marked = pl.col(mark).is_not_null()
    visible = pl.col(CHARS) > 0
    block_line = (
        ~marked
        & visible
        & (pl.col(CHARS) <= max_chars)
        & ~pl.col(SENTENCE)
        & ~pl.col(KEY).str.contains(_ENDS_SENTENCE)
    )
    heading = visible & pl.col(KEY).str.contains(RELATED_HEADING)
    boundary = visible & ~block_line
    after_heading = pl.when(boundary).then(heading).forward_fill().over(DOC_ID).fill_null(False)
    # The next boundary below a line; none means the block runs to the end of the document.
    ends_in_chrome = (
        pl.when(boundary).then(marked).shift(-1).backward_fill().over(DOC_ID).fill_null(value=True)
    )
    # The page's headline: the last block line above the first paragraph, with only lines other
    # rules removed (a byline, a photo credit) between, below a navigation that has a heading.
    unmarked = visible & ~marked
    paragraph = unmarked & ((pl.col(CHARS) > max_chars) | pl.col(SENTENCE))
    next_is_paragraph = (
        pl.when(unmarked).then(paragraph).shift(-1).backward_fill().over(DOC_ID).fill_null(False)
    )
    no_paragraph_above = paragraph.cast(pl.Int32).cum_sum().over(DOC_ID) == 0
    headline = block_line & next_is_paragraph & no_paragraph_above
    in_block = (block_line & after_heading & ~headline) | (heading & ~marked)
    return (
        pl.when(in_block & ends_in_chrome)
        .then(pl.lit("builtin:related_block"))
        .otherwise(pl.col(mark))
    )


def validate_patterns(patterns: tuple[str, ...]) -> None:
    """Check that Polars' regex engine accepts every user pattern.

    Raises:
        ConfigError: a pattern uses what the linear-time engine lacks (look-around,
            back-references) or is otherwise invalid.
    """
    for pattern in patterns:
        try:
            pl.select(pl.lit("").str.contains(pattern))
        except pl.exceptions.PolarsError as error:
            reason = str(error).strip().splitlines()
            detail = next((part for part in reason if part.startswith("error:")), reason[0])
            raise ConfigError(
                f"pattern {pattern!r} is not supported by the linear-time regex engine "
                f"({detail}); rewrite it without look-around or back-references"
            ) from None


def user_rule(patterns: tuple[str, ...], line: str = LINE) -> pl.Expr:
    """Return ``user:<pattern>`` for the first drop pattern that matches the original line."""
    rule: pl.Expr = pl.lit(None, dtype=pl.String)
    for pattern in reversed(patterns):
        rule = (
            pl.when(pl.col(line).str.contains(pattern))
            .then(pl.lit(f"user:{pattern}"))
            .otherwise(rule)
        )
    return rule


def matches_any(patterns: tuple[str, ...], line: str = LINE) -> pl.Expr:
    """Whether the original line matches any of the patterns (used for keep patterns)."""
    if not patterns:
        return pl.lit(value=False)
    return pl.any_horizontal([pl.col(line).str.contains(pattern) for pattern in patterns])
