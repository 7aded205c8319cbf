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
