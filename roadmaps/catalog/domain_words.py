"""A domain vocabulary: words naming skills (and the things they work with) that the catalog
has no plan for, by catalog domain.

Goal matching uses it twice. A goal word listed here that an entry does not know names another
skill, so that entry is not the goal's plan: "bake a cake" is cooking but not sourdough, "car
maintenance" is practical but not bicycles. And it tells a goal's domain when no entry is near:
"learn the cello" is music, so the plans offered instead are music plans; a goal with no known
domain is offered none. Words are compared after the matcher's stemming, exactly.
"""

DOMAIN_WORDS: dict[str, str] = {
    "music": "cello violin viola fiddle bass harmonica saxophone sax trumpet trombone tuba flute "
             "clarinet oboe bassoon harp banjo mandolin accordion bagpipes synthesizer synth organ keytar "
             "dj djing beatmaking producing composing composition songwriting orchestra "
             "opera rap rapping beatbox beatboxing conducting",
    "languages": "italian german korean portuguese arabic russian dutch greek hindi turkish polish swedish "
                 "norwegian danish finnish hebrew latin thai vietnamese indonesian swahili cantonese urdu "
                 "persian farsi welsh irish gaelic esperanto bsl braille czech romanian ukrainian tagalog",
    "sport-fitness": "tennis squash badminton golf ski skiing snowboard snowboarding surf surfing kitesurfing "
                     "climbing bouldering yoga pilates dance dancing salsa ballet tango waltz breakdance "
                     "boxing box kickboxing karate judo taekwondo wrestling fencing archery "
                     "skateboard skateboarding skating rollerblading cycling marathon triathlon rowing "
                     "kayaking canoeing sailing diving parkour gymnastics cartwheel backflip splits "
                     "deadlift squat bench weightlifting powerlifting football soccer basketball volleyball "
                     "baseball cricket rugby hockey frisbee horse riding equestrian butterfly breaststroke "
                     "backstroke",
    "programming-data": "rust kotlin java swift golang csharp ruby php perl scala haskell "
                        "typescript react angular vue django flask android ios app apps machine "
                        "ai neural excel spreadsheets tableau docker kubernetes linux bash "
                        "cybersecurity hacking blockchain unity unreal ",
    "maths-science": "physics chemistry biology astronomy geometry trigonometry topology "
                     "logic economics accounting electronics",
    "art-craft": "pottery ceramics sculpture sculpting woodworking carving sewing crochet embroidery "
                 "quilting origami calligraphy lettering oil acrylic acrylics printmaking animation "
                 "photoshop video filmmaking jewellery jewelry leatherwork weaving",
    "cooking": "cake cakes cupcakes cookies pastry croissants pie sushi ramen curry barbecue bbq grilling "
               "smoking brewing beer cocktails mixology coffee latte espresso cheese chocolate "
               "fermenting kimchi vegan dessert desserts pizza",
    "games": "bridge backgammon checkers draughts sudoku crossword crosswords mahjong scrabble "
             "dungeons magic tricks cardistry esports starcraft",
    "communication": "comedy improv debate debating podcasting interviewing "
                     "copywriting poetry novel screenwriting journalism sales networking",
    "practical": "car cars driving drive plumbing electrical diy carpentry gardening garden meditation "
                 "mindfulness sleeping investing stocks taxes cleaning ironing",
}  # fmt: skip
