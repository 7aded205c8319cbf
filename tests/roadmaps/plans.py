"""Plans in seed 003's shape for the tests."""

import copy


def plan(milestones_per_level: int = 1, levels: int = 3, reps: int = 2, sets: int = 1) -> dict:
    data = {"levels": [], "difficulty": "beginner"}
    for n in range(1, levels + 1):
        data["levels"].append(
            {
                "level": n,
                "title": f"Level {n}",
                "description": f"Level {n} of the plan",
                "milestones": [
                    {
                        "id": f"m{n}-{k}",
                        "title": f"Milestone {n}.{k}",
                        "description": "Do the thing",
                        "doThisNow": {"prompt": "Practise it", "reps": reps, "sets": sets, "successCriteria": "Done"},
                        "estimatedTime": 10 * n,
                        "icon": "star",
                    }
                    for k in range(1, milestones_per_level + 1)
                ],
            }
        )
    data["totalEstimatedTime"] = sum(m["estimatedTime"] for lv in data["levels"] for m in lv["milestones"])
    return data


def broken(path_setter) -> dict:
    data = copy.deepcopy(plan())
    path_setter(data)
    return data


def juggling_plan() -> dict:
    """Three-ball juggling as an expert teaches it, in seed 003's shape with practice types: the
    browser journey follows it until the catalog ships its own "learn to juggle" entry."""
    steps = [
        # (level, id, title, prompt, reps, sets, success, minutes)
        (1, "one-ball", "One-ball arcs", "Throw one ball from hand to hand in an arc peaking just above eye level.",
         10, 2, "Ten throws in a row that peak at eye level, twice", 10),
        (1, "two-ball", "Two-ball exchange", "Throw the right ball; when it peaks, throw the left one under it.",
         5, 2, "Five clean exchanges in a row, twice", 15),
        (2, "flash", "Three-ball flash", "Hold two balls in one hand and one in the other; make three throws and "
         "catch all three balls.", 5, 1, "Five flashes without a drop", 20),
        (2, "cascade-10", "Cascade of 10 catches", "Keep the three-ball cascade going for ten catches.",
         3, 1, "Three cascades of ten catches", 30),
        (3, "cascade-50", "Cascade of 50 catches", "Juggle the cascade for fifty catches, eyes on the peaks.",
         2, 1, "Two cascades of fifty catches", 45),
    ]  # fmt: skip
    levels = {1: "Throws", 2: "The cascade", 3: "Endurance"}
    data = {"levels": [], "difficulty": "beginner"}
    for number, title in levels.items():
        milestones = [
            {
                "id": id_,
                "title": name,
                "description": f"{name}: a step of the three-ball cascade.",
                "doThisNow": {"prompt": prompt, "reps": reps, "sets": sets, "successCriteria": success},
                "estimatedTime": minutes,
                "icon": "circle",
                "practiceType": "drill",
            }
            for level, id_, name, prompt, reps, sets, success, minutes in steps
            if level == number
        ]
        data["levels"].append({"level": number, "title": title, "description": f"{title} with balls",
                               "milestones": milestones})  # fmt: skip
    data["totalEstimatedTime"] = sum(step[-1] for step in steps)
    return data


def gated_plan(unlocks_skills: tuple[str, ...] = ()) -> dict:
    """plan(2 milestones a level, 1 rep × 1 set) where m2-1 waits for m1-1 and m1-2, m3-1 for m2-1,
    and m2-1 grants `unlocks_skills` when completed."""
    data = plan(milestones_per_level=2, reps=1, sets=1)
    data["levels"][1]["milestones"][0]["prerequisites"] = ["m1-1", "m1-2"]
    data["levels"][2]["milestones"][0]["prerequisites"] = ["m2-1"]
    if unlocks_skills:
        data["levels"][1]["milestones"][0]["unlocks_skills"] = list(unlocks_skills)
    return data
