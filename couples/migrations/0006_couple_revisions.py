"""Each couple's revision, and the triggers that raise it (couples/revisions.py).

The trigger sources are frozen here: a later change to what is shown adds a migration that
installs its own copy.
"""

import django.db.models.deletion
from django.db import migrations, models

from couples import revisions

SOURCES = {'couples_couple': 'SELECT R.id AS couple_id',
 'couples_partner': 'SELECT R.couple_id AS couple_id',
 'couples_careassignment': 'SELECT R.couple_id AS couple_id',
 'couples_sharingconsent': 'SELECT p.couple_id AS couple_id FROM couples_partner p WHERE p.id '
                           '= R.partner_id',
 'couples_user': 'SELECT p.couple_id AS couple_id FROM couples_partner p WHERE p.user_id = '
                 'R.id UNION SELECT a.couple_id FROM couples_careassignment a JOIN '
                 'couples_clinician c ON c.id = a.clinician_id WHERE c.user_id = R.id',
 'couples_clinician': 'SELECT a.couple_id AS couple_id FROM couples_careassignment a WHERE '
                      'a.clinician_id = R.id',
 'goals_goal': 'SELECT R.couple_id AS couple_id',
 'goals_goalacceptance': 'SELECT g.couple_id AS couple_id FROM goals_goal g WHERE g.id = '
                         'R.goal_id',
 'goals_goalchangerequest': 'SELECT g.couple_id AS couple_id FROM goals_goal g WHERE g.id = '
                            'R.goal_id',
 'goals_goaltransition': 'SELECT g.couple_id AS couple_id FROM goals_goal g WHERE g.id = '
                         'R.goal_id',
 'goals_progressentry': 'SELECT g.couple_id AS couple_id FROM goals_goal g WHERE g.id = '
                        'R.goal_id',
 'goals_checkin': 'SELECT p.couple_id AS couple_id FROM couples_partner p WHERE p.id = '
                  'R.partner_id',
 'therapy_sessions_therapysession': 'SELECT R.couple_id AS couple_id UNION SELECT p.couple_id '
                                    'FROM therapy_sessions_attendance a JOIN couples_partner p '
                                    'ON p.id = a.partner_id WHERE a.session_id = R.id',
 'therapy_sessions_attendance': 'SELECT p.couple_id AS couple_id FROM couples_partner p WHERE '
                                'p.id = R.partner_id',
 'therapy_sessions_sessionseries': 'SELECT s.couple_id AS couple_id FROM '
                                   'therapy_sessions_therapysession s WHERE s.series_id = R.id '
                                   'UNION SELECT p.couple_id FROM '
                                   'therapy_sessions_therapysession s JOIN '
                                   'therapy_sessions_attendance a ON a.session_id = s.id JOIN '
                                   'couples_partner p ON p.id = a.partner_id WHERE s.series_id '
                                   '= R.id',
 'insurance_payer': 'SELECT p.couple_id AS couple_id FROM insurance_coverage v JOIN '
                    'couples_partner p ON p.id = v.partner_id WHERE v.payer_id = R.id',
 'insurance_coverage': 'SELECT p.couple_id AS couple_id FROM couples_partner p WHERE p.id = '
                       'R.partner_id',
 'insurance_benefit': 'SELECT p.couple_id AS couple_id FROM insurance_coverage v JOIN '
                      'couples_partner p ON p.id = v.partner_id WHERE v.id = R.coverage_id',
 'insurance_authorization': 'SELECT p.couple_id AS couple_id FROM insurance_coverage v JOIN '
                            'couples_partner p ON p.id = v.partner_id WHERE v.id = '
                            'R.coverage_id',
 'insurance_coveragestatuschange': 'SELECT p.couple_id AS couple_id FROM insurance_coverage v '
                                   'JOIN couples_partner p ON p.id = v.partner_id WHERE v.id = '
                                   'R.coverage_id',
 'insurance_coveragecard': 'SELECT p.couple_id AS couple_id FROM insurance_coverage v JOIN '
                           'couples_partner p ON p.id = v.partner_id WHERE v.id = '
                           'R.coverage_id'}

IGNORED = {"couples_user": ("last_login", "password")}


def install(apps, schema_editor):
    revisions.install(schema_editor, SOURCES, IGNORED)


def uninstall(apps, schema_editor):
    revisions.uninstall(schema_editor, SOURCES)


class Migration(migrations.Migration):
    dependencies = [
        ("couples", "0005_notifications"),
        ("goals", "0001_initial"),
        ("therapy_sessions", "0002_attendance_response"),
        ("insurance", "0003_coverage_card"),
    ]

    operations = [
        migrations.CreateModel(
            name="CoupleRevision",
            fields=[
                (
                    "couple",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="revision",
                        serialize=False,
                        to="couples.couple",
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
